// Relayed transport addresses (RFC 8656 §7.2): a UDP socket per allocation and family, on a random
// port of `turn.relay.ports` (RFC 8656 §7.2 asks for random ports, against port prediction), even
// when EVEN-PORT asks, with the next port held for a RESERVATION-TOKEN when its R bit is set.
// Datagrams to peers leave in one burst per event-loop turn (udp-batch.ts); datagrams to another
// relay of this gateway do not leave at all (local-relays.ts).

import { randomBytes, randomInt } from 'node:crypto';
import { type Socket, createSocket } from 'node:dgram';
import type { PortRange } from '../config/schema-turn.ts';
import { isWildcardAddress } from '../net/listen-url.ts';
import { createUdpBatch } from '../net/udp-batch.ts';
import { createLocalRelays } from './local-relays.ts';
import type { TransportAddress } from '../stun/attributes/address.ts';
import type { RelayHandle } from './allocation.ts';

/** How long a reserved port waits for its Allocate with RESERVATION-TOKEN (RFC 8656 §7.2: ~30 s). */
export const RESERVATION_MS = 30_000;
const RELAY_RECEIVE_BUFFER_BYTES = 1024 * 1024;
/** Random picks before giving up (508): a nearly full range is a capacity problem, not bad luck. */
const ATTEMPTS = 40;

export type PeerData = (data: Uint8Array, peer: TransportAddress) => void;

export interface RelayRequest {
  readonly family: 4 | 6;
  readonly even: boolean;
  readonly reserveNext: boolean;
}

export interface OpenedRelay {
  readonly handle: RelayHandle;
  readonly reservationToken: Buffer | undefined;
}

export interface RelayOpener {
  /** A relay socket, or undefined when no port is free (the server answers 508). */
  open(request: RelayRequest, onData: PeerData): Promise<OpenedRelay | undefined>;
  /** The socket reserved under `token` (RFC 8656 §7.2), or undefined when unknown or expired. */
  claim(token: Uint8Array, onData: PeerData): RelayHandle | undefined;
  families(): readonly (4 | 6)[];
  close(): void;
}

export interface RelayConfig {
  /** Local address the relay sockets bind to: an IPv4, an IPv6, or `::` for both families. */
  readonly address: string;
  /** Advertised in XOR-RELAYED-ADDRESS instead of the bound address (1:1 NAT). */
  readonly external: string | undefined;
  readonly ports: PortRange;
}

/** The local address a relay of `family` binds to, or undefined when the config has none for it. */
export function bindAddress(config: RelayConfig, family: 4 | 6): string | undefined {
  const isV6 = config.address.includes(':');
  if (config.address === '::') return family === 6 ? '::' : '0.0.0.0';
  if (isV6) return family === 6 ? config.address : undefined;
  return family === 4 ? config.address : undefined;
}

function bind(family: 4 | 6, address: string, port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket({
      type: family === 6 ? 'udp6' : 'udp4',
      ipv6Only: family === 6,
      // One call's media: a GC pause of the gateway must not cost packets.
      recvBufferSize: RELAY_RECEIVE_BUFFER_BYTES,
      // Peers are IP literals (checked by the peer policy): no dns.lookup round per datagram.
      lookup: (address, _options, callback) => {
        callback(null, address, family);
      },
    });
    socket.once('error', () => {
      socket.close();
      resolve(undefined);
    });
    socket.bind({ address, port, exclusive: true }, () => {
      socket.removeAllListeners('error');
      socket.on('error', () => undefined); // ICMP errors on send must not end the process
      resolve(socket);
    });
  });
}

/** The gateway's specific address of a family (a `stun.listen` host), if it has one. */
export type LocalAddressOf = (family: 4 | 6) => string | undefined;

/**
 * The address a relay of `family` is announced at in XOR-RELAYED-ADDRESS (the port aside):
 * `turn.relay.external` when it is of the family, else the bound address, else (bound to a
 * wildcard) the gateway's specific address of the family. Undefined when there is none: then the
 * gateway offers no relays of that family (RFC 6156: 440), rather than announce an address of the
 * other family.
 */
export function announcedHost(
  config: RelayConfig,
  family: 4 | 6,
  localOf: LocalAddressOf,
): string | undefined {
  const bound = bindAddress(config, family);
  if (bound === undefined) return undefined;
  const { external } = config;
  if (external !== undefined && external.includes(':') === (family === 6)) return external;
  return isWildcardAddress(bound) ? localOf(family) : bound;
}

export function createRelayOpener(config: RelayConfig, localOf: LocalAddressOf): RelayOpener {
  const reservations = new Map<
    string,
    { socket: Socket; family: 4 | 6; host: string; timer: NodeJS.Timeout }
  >();
  const batch = createUdpBatch();
  // Data between two relays of this gateway does not go through the kernel (local-relays.ts).
  const local = createLocalRelays();
  const handleOf = (family: 4 | 6, host: string, socket: Socket, onData: PeerData): RelayHandle => {
    // Media comes from one peer at a time: the same address object for it, not one per datagram.
    let last: TransportAddress = { family, address: '', port: 0 };
    socket.on('message', (data, from) => {
      // An IPv6 relay socket is v6-only (ipv6Only): a peer's address needs no unmapping on either.
      if (from.port !== last.port || from.address !== last.address) {
        last = { family, address: from.address, port: from.port };
      }
      onData(data, last);
    });
    const address: TransportAddress = { family, address: host, port: socket.address().port };
    const unregister = local.add(address, onData);
    const handOver = local.senderFrom(address);
    return {
      address,
      send(data, peer) {
        if (!handOver(data, peer)) batch.send(socket, data, peer.port, peer.address);
      },
      close() {
        unregister();
        socket.close();
      },
    };
  };
  const pick = (even: boolean): number => {
    const { min, max } = config.ports;
    const port = randomInt(min, max + 1);
    return even && port % 2 === 1 ? (port + 1 <= max ? port + 1 : port - 1) : port;
  };
  return {
    async open(request, onData) {
      const address = bindAddress(config, request.family);
      const host = announcedHost(config, request.family, localOf);
      if (address === undefined || host === undefined) return undefined;
      for (let i = 0; i < ATTEMPTS; i++) {
        const port = pick(request.even || request.reserveNext);
        if (port < config.ports.min) continue;
        const socket = await bind(request.family, address, port);
        if (socket === undefined) continue;
        if (!request.reserveNext)
          return {
            handle: handleOf(request.family, host, socket, onData),
            reservationToken: undefined,
          };
        if (port + 1 > config.ports.max) {
          socket.close();
          continue;
        }
        const next = await bind(request.family, address, port + 1);
        if (next === undefined) {
          socket.close();
          continue;
        }
        const token = randomBytes(8);
        const key = token.toString('hex');
        const timer = setTimeout(() => {
          reservations.delete(key);
          next.close();
        }, RESERVATION_MS);
        timer.unref();
        reservations.set(key, { socket: next, family: request.family, host, timer });
        return { handle: handleOf(request.family, host, socket, onData), reservationToken: token };
      }
      return undefined;
    },
    claim(token, onData) {
      const key = Buffer.from(token).toString('hex');
      const reserved = reservations.get(key);
      if (reserved === undefined) return undefined;
      reservations.delete(key);
      clearTimeout(reserved.timer);
      return handleOf(reserved.family, reserved.host, reserved.socket, onData);
    },
    families() {
      return ([4, 6] as const).filter(
        (family) => announcedHost(config, family, localOf) !== undefined,
      );
    },
    close() {
      for (const { socket, timer } of reservations.values()) {
        clearTimeout(timer);
        socket.close();
      }
      reservations.clear();
    },
  };
}

/**
 * The UDP relays of an Allocate: the socket its RESERVATION-TOKEN holds, or one per family asked
 * (EVEN-PORT and the reservation for the first); fewer than asked when ports ran out.
 */
export async function openUdpRelays(
  opener: RelayOpener,
  ask: {
    readonly families: readonly (4 | 6)[];
    readonly even: boolean;
    readonly reserveNext: boolean;
    readonly token: Uint8Array | undefined;
  },
  onData: PeerData,
): Promise<{ relays: RelayHandle[]; token: Buffer | undefined }> {
  const relays: RelayHandle[] = [];
  let token: Buffer | undefined;
  if (ask.token !== undefined) {
    const claimed = opener.claim(ask.token, onData);
    if (claimed !== undefined) relays.push(claimed);
    return { relays, token };
  }
  for (const [index, family] of ask.families.entries()) {
    const first = index === 0;
    const opened = await opener.open(
      { family, even: first && ask.even, reserveNext: first && ask.reserveNext },
      onData,
    );
    if (opened === undefined) break;
    relays.push(opened.handle);
    token ??= opened.reservationToken;
  }
  return { relays, token };
}
