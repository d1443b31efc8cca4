// The TURN server (RFC 8656) on the STUN listeners: allocations keyed by the client's 5-tuple,
// their relay sockets, permissions and channels, the data both ways, lifetimes and quotas. The STUN
// server hands it every datagram or stream message that is TURN's (see `handle`).

import { Attr, StunClass, StunMethod } from '../stun/constants.ts';
import type { AttributeValue } from '../stun/encode.ts';
import { encodeStunMessage } from '../stun/encode.ts';
import { stunType } from '../stun/header.ts';
import { type StunMessage, decodeStunMessage } from '../stun/message.ts';
import { type TransportAddress, writeXorAddress } from '../stun/attributes/address.ts';
import { writeUint32 } from '../stun/attributes/scalar.ts';
import type { StunTransport } from '../stun/binding.ts';
import type { Suspicious } from '../fraud/suspicious.ts';
import type { Metrics } from '../observe/metrics.ts';
import type { Logger } from '../observe/log.ts';
import { tallyOf } from '../observe/tally.ts';
import type { Part } from '../part.ts';
import { Allocation, type RelayHandle, tupleKey } from './allocation.ts';
import { writeAddressErrorCode, writeReservationToken } from './attributes.ts';
import { type AuthDeps, authenticate } from './auth.ts';
import { decodeChannelData, encodeChannelData, isChannelDataStart } from './channel-data.ts';
import type { PeerPolicy } from './peer-policy.ts';
import { type RelayOpener, type PeerData } from './relay.ts';
import { type Signing, errorReply, successReply, unknownAttributesReply } from './reply.ts';
import {
  type Refusal,
  grantedSeconds,
  lifetimeOf,
  readAllocate,
  readChannel,
  readPeers,
  readSend,
  unknownAttributes,
} from './requests.ts';

/** Where a client's TURN traffic came in, and the way back to it. */
export interface TurnLink {
  readonly transport: StunTransport;
  readonly client: TransportAddress;
  readonly server: TransportAddress;
  send(bytes: Uint8Array): void;
}

export interface TurnLimits {
  readonly allocationLifetimeMs: number;
  readonly maxAllocationLifetimeMs: number;
  readonly maxAllocationsPerUser: number;
  readonly maxAllocations: number;
  /** Relayed bytes per allocation and second, both directions together; 0 = unlimited. */
  readonly maxBytesPerSecond: number;
}

export interface TurnServiceDeps {
  readonly auth: AuthDeps;
  readonly policy: PeerPolicy;
  readonly relays: RelayOpener;
  readonly limits: TurnLimits;
  readonly suspicious: Suspicious;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly now?: () => number;
}

export interface TurnService extends Part {
  /** True when `bytes` were TURN's (ChannelData or a TURN method) and were handled. */
  handle(bytes: Uint8Array, link: TurnLink): boolean;
  /** A TCP/TLS client connection closed: its allocation ends with it (RFC 8656 §3.1). */
  closed(link: TurnLink): void;
  readonly allocationCount: number;
}

const SWEEP_EVERY_MS = 1000;
const TURN_METHODS: ReadonlySet<number> = new Set([
  StunMethod.allocate,
  StunMethod.refresh,
  StunMethod.send,
  StunMethod.createPermission,
  StunMethod.channelBind,
  StunMethod.connect,
  StunMethod.connectionBind,
]);
const METHOD_NAMES: Readonly<Record<number, string>> = {
  [StunMethod.allocate]: 'allocate',
  [StunMethod.refresh]: 'refresh',
  [StunMethod.createPermission]: 'create-permission',
  [StunMethod.channelBind]: 'channel-bind',
  [StunMethod.connect]: 'connect',
  [StunMethod.connectionBind]: 'connection-bind',
};

interface Entry {
  readonly allocation: Allocation;
  readonly link: TurnLink;
  /** Bytes relayed in the current second (for maxBytesPerSecond). */
  windowStart: number;
  windowBytes: number;
}

function linkKey(link: TurnLink): string {
  return tupleKey(link.transport, link.client, link.server);
}

function clientKey(link: TurnLink): string {
  return `${link.transport}|${link.client.address}|${link.client.port}`;
}

export function createTurnService(deps: TurnServiceDeps): TurnService {
  const now = deps.now ?? Date.now;
  const log = deps.log.child({ part: 'turn' });
  const { metrics, limits } = deps;
  const entries = new Map<string, Entry>();
  const perUser = new Map<string, number>();
  /** 5-tuples whose Allocate is opening its relay: a retransmission meanwhile is dropped. */
  const opening = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let permissions = 0;
  let channels = 0;
  const tallies = new Map<string, ReturnType<typeof tallyOf>>();
  const tally = (
    counter: typeof metrics.turnRelayedBytes,
    labels: Record<'transport' | 'direction', string>,
  ): ReturnType<typeof tallyOf> => {
    const key = `${counter === metrics.turnRelayedBytes ? 'b' : 'p'}|${labels.transport}|${labels.direction}`;
    let found = tallies.get(key);
    if (found === undefined) {
      found = tallyOf(counter, labels);
      tallies.set(key, found);
    }
    return found;
  };
  const dropped = new Map<string, ReturnType<typeof tallyOf>>();
  const drop = (reason: string): void => {
    let found = dropped.get(reason);
    if (found === undefined) {
      found = tallyOf(metrics.turnDropped, { reason });
      dropped.set(reason, found);
    }
    found.inc();
  };
  const counted = (entry: Entry, direction: 'to-peer' | 'to-client', bytes: number): void => {
    const transport = entry.allocation.tuple.transport;
    tally(metrics.turnRelayedBytes, { transport, direction }).add(bytes);
    tally(metrics.turnRelayedPackets, { transport, direction }).inc();
  };
  /** False when the allocation is over its byte rate this second. */
  const withinRate = (entry: Entry, bytes: number, at: number): boolean => {
    if (limits.maxBytesPerSecond <= 0) return true;
    if (at - entry.windowStart >= 1000) {
      entry.windowStart = at;
      entry.windowBytes = 0;
    }
    if (entry.windowBytes + bytes > limits.maxBytesPerSecond) return false;
    entry.windowBytes += bytes;
    return true;
  };

  const answer = (
    link: TurnLink,
    request: StunMessage,
    bytes: Uint8Array,
    code: number | 'ok',
  ): void => {
    metrics.turnRequests.inc({
      method: METHOD_NAMES[request.method] ?? 'other',
      code: String(code),
    });
    link.send(bytes);
  };
  const refuse = (
    link: TurnLink,
    request: StunMessage,
    refusal: Refusal,
    signing: Signing | undefined,
  ): void => {
    if (refusal.code === 403) deps.suspicious(link.client.address, 'turn.peer-denied');
    answer(
      link,
      request,
      errorReply(request, refusal.code, deps.auth.reply, { signing }),
      refusal.code,
    );
  };

  const remove = (key: string): void => {
    const entry = entries.get(key);
    if (entry === undefined) return;
    entries.delete(key);
    const { allocation } = entry;
    allocation.close();
    const left = (perUser.get(allocation.user) ?? 1) - 1;
    if (left <= 0) perUser.delete(allocation.user);
    else perUser.set(allocation.user, left);
    metrics.turnAllocations.dec({ transport: allocation.tuple.transport });
  };

  /** Data from a peer to a relayed address: to the client, on its channel or as a Data indication. */
  const fromPeer =
    (key: string): PeerData =>
    (data, peer) => {
      const entry = entries.get(key);
      if (entry === undefined) return;
      const at = now();
      const { allocation, link } = entry;
      if (!allocation.isPermitted(peer.address, at)) {
        drop('no-permission');
        return;
      }
      if (!withinRate(entry, data.length, at)) {
        drop('rate-limit');
        return;
      }
      const binding = allocation.channelFor(peer, at);
      if (binding !== undefined) {
        link.send(encodeChannelData(binding.channel, data, link.transport !== 'udp'));
      } else {
        const transactionId = crypto.getRandomValues(new Uint8Array(12));
        link.send(
          encodeStunMessage({
            type: stunType(StunMethod.data, StunClass.indication),
            transactionId,
            attributes: [
              { type: Attr.xorPeerAddress, value: writeXorAddress(peer, transactionId) },
              { type: Attr.data, value: data },
            ],
          }),
        );
      }
      counted(entry, 'to-client', data.length);
    };

  const toPeer = (entry: Entry, peer: TransportAddress, data: Uint8Array, at: number): void => {
    const relay = entry.allocation.relayFor(peer.family);
    if (relay === undefined) {
      drop('family');
      return;
    }
    if (!entry.allocation.isPermitted(peer.address, at)) {
      drop('no-permission');
      return;
    }
    if (!withinRate(entry, data.length, at)) {
      drop('rate-limit');
      return;
    }
    relay.send(data, peer);
    counted(entry, 'to-peer', data.length);
  };

  const allocate = async (link: TurnLink, request: StunMessage): Promise<void> => {
    const key = linkKey(link);
    const at = now();
    const existing = entries.get(key);
    const auth = authenticate(
      request,
      deps.auth,
      clientKey(link),
      at,
      existing?.allocation.username,
    );
    if (auth.kind === 'refused') {
      if (auth.suspicious !== undefined) deps.suspicious(link.client.address, auth.suspicious);
      answer(link, request, auth.bytes, auth.code);
      return;
    }
    const { signing } = auth;
    if (existing !== undefined) {
      // RFC 8656 §7.2: a retransmission gets the same answer, anything else 437.
      const again = existing.allocation.answeredBefore(request.transactionId);
      if (again !== undefined) link.send(again);
      else refuse(link, request, { kind: 'error', code: 437 }, signing);
      return;
    }
    if (opening.has(key)) return;
    const unknown = unknownAttributes(request);
    if (unknown.length > 0) {
      answer(
        link,
        request,
        unknownAttributesReply(request, unknown, deps.auth.reply, signing),
        420,
      );
      return;
    }
    const ask = readAllocate(request, deps.relays.families());
    if (ask.kind === 'error') {
      refuse(link, request, ask, signing);
      return;
    }
    const userKey = auth.user;
    if (
      (perUser.get(userKey) ?? 0) >= limits.maxAllocationsPerUser ||
      entries.size >= limits.maxAllocations
    ) {
      refuse(link, request, { kind: 'error', code: 486 }, signing);
      return;
    }
    opening.add(key);
    const onData = fromPeer(key);
    const relays: RelayHandle[] = [];
    let token: Buffer | undefined;
    try {
      if (ask.token !== undefined) {
        const claimed = deps.relays.claim(ask.token, onData);
        if (claimed !== undefined) relays.push(claimed);
      } else {
        for (const [index, family] of ask.families.entries()) {
          const opened = await deps.relays.open(
            { family, even: index === 0 && ask.even, reserveNext: index === 0 && ask.reserveNext },
            onData,
          );
          if (opened === undefined) break;
          relays.push(opened.handle);
          token ??= opened.reservationToken;
        }
      }
    } finally {
      opening.delete(key);
    }
    if (relays.length === 0 || (ask.token === undefined && relays.length < 1)) {
      for (const relay of relays) relay.close();
      refuse(link, request, { kind: 'error', code: 508 }, signing);
      return;
    }
    const seconds = grantedSeconds(
      ask.lifetimeSeconds,
      limits.allocationLifetimeMs / 1000,
      limits.maxAllocationLifetimeMs / 1000,
    );
    const allocation = new Allocation({
      key,
      tuple: { transport: link.transport, client: link.client, server: link.server },
      username: auth.username,
      user: userKey,
      hmacKey: auth.key,
      relays,
      expiresAt: now() + seconds * 1000,
    });
    entries.set(key, { allocation, link, windowStart: 0, windowBytes: 0 });
    perUser.set(userKey, (perUser.get(userKey) ?? 0) + 1);
    metrics.turnAllocations.inc({ transport: link.transport });
    const attributes: AttributeValue[] = relays.map((relay) => ({
      type: Attr.xorRelayedAddress,
      value: writeXorAddress(relay.address, request.transactionId),
    }));
    if (ask.additional && !relays.some((relay) => relay.address.family === 6)) {
      attributes.push({ type: Attr.addressErrorCode, value: writeAddressErrorCode(0x02, 440) });
    }
    attributes.push({ type: Attr.lifetime, value: writeUint32(seconds) });
    if (token !== undefined) {
      attributes.push({ type: Attr.reservationToken, value: writeReservationToken(token) });
    }
    attributes.push({
      type: Attr.xorMappedAddress,
      value: writeXorAddress(link.client, request.transactionId),
    });
    const bytes = successReply(request, attributes, deps.auth.reply, signing);
    allocation.remember(request.transactionId, bytes);
    log.debug({ client: link.client.address, transport: link.transport, seconds }, 'allocated');
    answer(link, request, bytes, 'ok');
  };

  /** Refresh, CreatePermission, ChannelBind: an allocation and its user's credentials first. */
  const onAllocation = (link: TurnLink, request: StunMessage): void => {
    const key = linkKey(link);
    const entry = entries.get(key);
    const at = now();
    const auth = authenticate(request, deps.auth, clientKey(link), at, entry?.allocation.username);
    if (auth.kind === 'refused') {
      if (auth.suspicious !== undefined) deps.suspicious(link.client.address, auth.suspicious);
      answer(link, request, auth.bytes, auth.code);
      return;
    }
    const { signing } = auth;
    if (entry === undefined) {
      refuse(link, request, { kind: 'error', code: 437 }, signing);
      return;
    }
    const { allocation } = entry;
    const again = allocation.answeredBefore(request.transactionId);
    if (again !== undefined) {
      link.send(again);
      return;
    }
    const unknown = unknownAttributes(request);
    if (unknown.length > 0) {
      answer(
        link,
        request,
        unknownAttributesReply(request, unknown, deps.auth.reply, signing),
        420,
      );
      return;
    }
    const families = allocation.relays.map((relay) => relay.address.family);
    let attributes: AttributeValue[] = [];
    switch (request.method) {
      case StunMethod.refresh: {
        const asked = lifetimeOf(request);
        if (asked === 'bad') {
          refuse(link, request, { kind: 'error', code: 400 }, signing);
          return;
        }
        if (asked === 0) {
          remove(key);
          answer(
            link,
            request,
            successReply(
              request,
              [{ type: Attr.lifetime, value: writeUint32(0) }],
              deps.auth.reply,
              signing,
            ),
            'ok',
          );
          return;
        }
        const seconds = grantedSeconds(
          asked,
          limits.allocationLifetimeMs / 1000,
          limits.maxAllocationLifetimeMs / 1000,
        );
        allocation.expiresAt = at + seconds * 1000;
        attributes = [{ type: Attr.lifetime, value: writeUint32(seconds) }];
        break;
      }
      case StunMethod.createPermission: {
        const peers = readPeers(request, deps.policy, families);
        if (!Array.isArray(peers)) {
          refuse(link, request, peers, signing);
          return;
        }
        for (const peer of peers) allocation.permit(peer.address, at);
        break;
      }
      case StunMethod.channelBind: {
        const channel = readChannel(request);
        if (typeof channel !== 'number') {
          refuse(link, request, channel, signing);
          return;
        }
        const peers = readPeers(request, deps.policy, families);
        if (!Array.isArray(peers)) {
          refuse(link, request, peers, signing);
          return;
        }
        const [peer] = peers;
        if (peer === undefined || allocation.bind(channel, peer, at) !== 'ok') {
          refuse(link, request, { kind: 'error', code: 400 }, signing);
          return;
        }
        break;
      }
      default:
        // RFC 6062 Connect / ConnectionBind: TCP relaying is not offered (Allocate answers 442).
        refuse(link, request, { kind: 'error', code: 400 }, signing);
        return;
    }
    const bytes = successReply(request, attributes, deps.auth.reply, signing);
    allocation.remember(request.transactionId, bytes);
    answer(link, request, bytes, 'ok');
  };

  const onSend = (link: TurnLink, request: StunMessage): void => {
    const entry = entries.get(linkKey(link));
    if (entry === undefined) {
      drop('no-allocation');
      return;
    }
    const send = readSend(request, deps.policy);
    if (send === undefined) {
      drop('malformed');
      return;
    }
    if ('denied' in send) {
      deps.suspicious(link.client.address, 'turn.peer-denied');
      drop('peer-denied');
      return;
    }
    toPeer(entry, send.peer, send.data, now());
  };

  const onChannelData = (bytes: Uint8Array, link: TurnLink): void => {
    const decoded = decodeChannelData(bytes, link.transport !== 'udp');
    if (decoded.kind !== 'ok') {
      drop('malformed');
      return;
    }
    const entry = entries.get(linkKey(link));
    if (entry === undefined) {
      drop('no-allocation');
      return;
    }
    const at = now();
    const binding = entry.allocation.channel(decoded.value.channel, at);
    if (binding === undefined) {
      drop('no-channel');
      return;
    }
    toPeer(entry, binding.peer, decoded.value.data, at);
  };

  const sweep = (): void => {
    const at = now();
    let nextPermissions = 0;
    let nextChannels = 0;
    for (const [key, { allocation }] of entries) {
      if (allocation.isExpired(at)) {
        remove(key);
        continue;
      }
      allocation.sweep(at);
      nextPermissions += allocation.permissionCount;
      nextChannels += allocation.channelCount;
    }
    if (nextPermissions !== permissions)
      metrics.turnPermissions.set((permissions = nextPermissions));
    if (nextChannels !== channels) metrics.turnChannels.set((channels = nextChannels));
  };

  return {
    name: 'turn',
    start() {
      clearInterval(timer);
      timer = setInterval(sweep, SWEEP_EVERY_MS);
      timer.unref();
      return Promise.resolve();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
      for (const key of [...entries.keys()]) remove(key);
      deps.relays.close();
      return Promise.resolve();
    },
    handle(bytes, link) {
      const first = bytes[0] ?? 0;
      if (isChannelDataStart(first)) {
        onChannelData(bytes, link);
        return true;
      }
      if (first > 0x03) return false;
      const decoded = decodeStunMessage(bytes);
      if (decoded.kind !== 'ok') return false;
      const request = decoded.value;
      if (!TURN_METHODS.has(request.method) || !request.hasCookie) return false;
      if (request.class === StunClass.indication) {
        if (request.method === StunMethod.send) onSend(link, request);
        else drop('malformed');
        return true;
      }
      if (request.class !== StunClass.request) return true; // answers to nothing we asked: dropped
      if (request.method === StunMethod.allocate) {
        allocate(link, request).catch((err: unknown) => {
          log.error({ err }, 'allocate failed');
        });
      } else {
        onAllocation(link, request);
      }
      return true;
    },
    closed(link) {
      remove(linkKey(link));
    },
    get allocationCount() {
      return entries.size;
    },
  };
}
