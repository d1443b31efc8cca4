// One TURN allocation (RFC 8656 §2.2, §5): the relayed transport address(es) of a client's 5-tuple,
// its lifetime, its permissions (per peer IP) and channel bindings (per peer IP and port). Plain
// state and the rules on it; the sockets live in relay.ts, the clock is passed in.

import type { Socket } from 'node:net';
import type { TransportAddress } from '../stun/attributes/address.ts';
import type { StunTransport } from '../stun/binding.ts';

/** RFC 8656 §9: a permission lasts 300 s from its last refresh. */
export const PERMISSION_LIFETIME_MS = 300_000;
/** RFC 8656 §12: a channel binding lasts 600 s from its last refresh. */
export const CHANNEL_LIFETIME_MS = 600_000;
/** RFC 8656 §12: after it expires, a channel (or its peer) is not re-bound elsewhere for 5 minutes. */
export const CHANNEL_QUARANTINE_MS = 300_000;

export interface FiveTuple {
  readonly transport: StunTransport;
  readonly client: TransportAddress;
  readonly server: TransportAddress;
}

export function tupleKey(
  transport: StunTransport,
  client: TransportAddress,
  server: TransportAddress,
): string {
  return `${transport}|${client.address}|${client.port}|${server.address}|${server.port}`;
}

export function peerKey(peer: TransportAddress): string {
  return `${peer.address}|${peer.port}`;
}

export interface ChannelBinding {
  readonly channel: number;
  readonly peer: TransportAddress;
  expiresAt: number;
}

export type BindResult = 'ok' | 'channel-taken' | 'peer-taken';

/** What an allocation answers with: relayed addresses and the way to send from them. */
export interface RelayHandle {
  readonly address: TransportAddress;
  send(data: Uint8Array, peer: TransportAddress): void;
  /** TCP relays only (RFC 6062 Connect): a connection to `peer` from the relayed address. */
  readonly connect?: (peer: TransportAddress, timeoutMs: number) => Promise<Socket | 'failed'>;
  close(): void;
}

/** REQUESTED-TRANSPORT: UDP relaying (RFC 8656), or TCP connections (RFC 6062). */
export type RelayProtocol = 'udp' | 'tcp';

export class Allocation {
  readonly key: string;
  readonly tuple: FiveTuple;
  readonly protocol: RelayProtocol;
  /** USERNAME as sent: later requests on this allocation must carry the same (else 441). */
  readonly username: string;
  /** Quota identity (account, or the REST user id). */
  readonly user: string;
  /** The long-term key that authenticated the Allocate: responses are signed with it. */
  readonly hmacKey: Buffer;
  readonly relays: readonly RelayHandle[];
  expiresAt: number;
  private readonly permissions = new Map<string, number>();
  private readonly channels = new Map<number, ChannelBinding>();
  private readonly channelOfPeer = new Map<string, ChannelBinding>();
  /** Expired bindings, both ways, until their quarantine ends. */
  private readonly heldChannels = new Map<
    number,
    { readonly peer: string; readonly until: number }
  >();
  private readonly heldPeers = new Map<
    string,
    { readonly channel: number; readonly until: number }
  >();
  /** Responses by transaction id (hex), for retransmitted requests (RFC 8656 §7.2, §7.3). */
  private readonly answered = new Map<string, Uint8Array>();

  constructor(fields: {
    key: string;
    tuple: FiveTuple;
    protocol?: RelayProtocol;
    username: string;
    user: string;
    hmacKey: Buffer;
    relays: readonly RelayHandle[];
    expiresAt: number;
  }) {
    this.key = fields.key;
    this.tuple = fields.tuple;
    this.protocol = fields.protocol ?? 'udp';
    this.username = fields.username;
    this.user = fields.user;
    this.hmacKey = fields.hmacKey;
    this.relays = fields.relays;
    this.expiresAt = fields.expiresAt;
  }

  isExpired(now: number): boolean {
    return now >= this.expiresAt;
  }

  relayFor(family: 4 | 6): RelayHandle | undefined {
    for (const relay of this.relays) if (relay.address.family === family) return relay;
    return undefined;
  }

  /** Installs or refreshes the permission for a peer IP (the port does not matter, RFC 8656 §9). */
  permit(peerIp: string, now: number): void {
    this.permissions.set(peerIp, now + PERMISSION_LIFETIME_MS);
  }

  isPermitted(peerIp: string, now: number): boolean {
    const until = this.permissions.get(peerIp);
    return until !== undefined && until > now;
  }

  get permissionCount(): number {
    return this.permissions.size;
  }

  get channelCount(): number {
    return this.channels.size;
  }

  /**
   * RFC 8656 §11.2: a channel is bound to one peer and a peer to one channel; rebinding the same
   * pair refreshes it. An expired pair stays reserved for 5 minutes.
   */
  bind(channel: number, peer: TransportAddress, now: number): BindResult {
    const key = peerKey(peer);
    const existing = this.channels.get(channel);
    if (existing !== undefined && peerKey(existing.peer) !== key) return 'channel-taken';
    const ofPeer = this.channelOfPeer.get(key);
    if (ofPeer !== undefined && ofPeer.channel !== channel) return 'peer-taken';
    const heldChannel = this.heldChannels.get(channel);
    if (heldChannel !== undefined && heldChannel.until > now && heldChannel.peer !== key) {
      return 'channel-taken';
    }
    const heldPeer = this.heldPeers.get(key);
    if (heldPeer !== undefined && heldPeer.until > now && heldPeer.channel !== channel) {
      return 'peer-taken';
    }
    const binding = existing ?? { channel, peer, expiresAt: 0 };
    binding.expiresAt = now + CHANNEL_LIFETIME_MS;
    this.channels.set(channel, binding);
    this.channelOfPeer.set(key, binding);
    this.permit(peer.address, now);
    return 'ok';
  }

  channel(channel: number, now: number): ChannelBinding | undefined {
    const binding = this.channels.get(channel);
    return binding !== undefined && binding.expiresAt > now ? binding : undefined;
  }

  channelFor(peer: TransportAddress, now: number): ChannelBinding | undefined {
    const binding = this.channelOfPeer.get(peerKey(peer));
    return binding !== undefined && binding.expiresAt > now ? binding : undefined;
  }

  /** Forgets expired permissions and channels (quarantining the channels). */
  sweep(now: number): void {
    for (const [ip, until] of this.permissions) if (until <= now) this.permissions.delete(ip);
    for (const [channel, binding] of this.channels) {
      if (binding.expiresAt > now) continue;
      const key = peerKey(binding.peer);
      this.channels.delete(channel);
      this.channelOfPeer.delete(key);
      const until = now + CHANNEL_QUARANTINE_MS;
      this.heldChannels.set(channel, { peer: key, until });
      this.heldPeers.set(key, { channel, until });
    }
    for (const [channel, held] of this.heldChannels) {
      if (held.until <= now) this.heldChannels.delete(channel);
    }
    for (const [key, held] of this.heldPeers) if (held.until <= now) this.heldPeers.delete(key);
  }

  remember(transactionId: Uint8Array, response: Uint8Array): void {
    if (this.answered.size >= 8) {
      const oldest = this.answered.keys().next().value;
      if (oldest !== undefined) this.answered.delete(oldest);
    }
    this.answered.set(Buffer.from(transactionId).toString('hex'), response);
  }

  answeredBefore(transactionId: Uint8Array): Uint8Array | undefined {
    return this.answered.get(Buffer.from(transactionId).toString('hex'));
  }

  close(): void {
    for (const relay of this.relays) relay.close();
  }
}
