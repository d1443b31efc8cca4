// STUN over UDP: one socket, or the 2 addresses x 2 ports of RFC 5780 when an alternate is configured.

import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { bindUdp, closeUdp } from '../net/listen.ts';
import { formatListenUrl } from '../net/listen-url.ts';
import { type UdpBatch, createUdpBatch } from '../net/udp-batch.ts';
import { MAGIC_COOKIE } from './constants.ts';
import { answerStun } from './answer.ts';
import type { AlternateSet, BindingContext } from './binding.ts';
import { type TransportAddress, transportAddressOf } from './attributes/address.ts';
import type { StunObserver } from './observer.ts';
import type { TurnLink, TurnService } from '../turn/service.ts';

export interface UdpSetOptions {
  readonly host: string;
  readonly port: number;
  /** RFC 5780 second address and port; absent = one socket, no behaviour discovery. */
  readonly alternate: { readonly address: string; readonly port: number } | undefined;
  readonly software: Uint8Array | undefined;
  readonly observer: StunObserver;
  /** TURN on the same sockets (RFC 8656 §3): it takes what is not a Binding. */
  readonly turn?: TurnService | undefined;
}

/** With TURN, all relayed media of UDP clients arrives here: 4 MiB absorbs ~100 ms of 20k pps. */
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

interface Endpoint {
  readonly socket: Socket;
  readonly local: TransportAddress;
  readonly alternate: AlternateSet | undefined;
  /** TURN links by client address, then port: made once per client, not per datagram. */
  readonly links: Map<string, Map<number, TurnLink>>;
  linkCount: number;
  /** What TURN sends to clients leaves at the end of the event-loop turn (udp-batch.ts). */
  readonly batch: UdpBatch;
}

/** Links are cheap to make again: past this many clients the cache starts over. */
const MAX_CACHED_LINKS = 4096;

function turnLink(endpoint: Endpoint, from: RemoteInfo): TurnLink {
  const { address, port } = from;
  let byPort = endpoint.links.get(address);
  let link = byPort?.get(port);
  if (link !== undefined) return link;
  if (endpoint.linkCount >= MAX_CACHED_LINKS) {
    endpoint.links.clear();
    endpoint.linkCount = 0;
    byPort = undefined;
  }
  if (byPort === undefined) {
    byPort = new Map<number, TurnLink>();
    endpoint.links.set(address, byPort);
  }
  const { socket, batch } = endpoint;
  link = {
    transport: 'udp',
    client: transportAddressOf(address, port),
    server: endpoint.local,
    send: (bytes) => {
      batch.send(socket, bytes, port, address);
    },
  };
  byPort.set(port, link);
  endpoint.linkCount++;
  return link;
}

/** Index of a socket in the 2x2 set: bit 1 = alternate address, bit 0 = alternate port. */
type Slot = 0 | 1 | 2 | 3;

export function createUdpSet(options: UdpSetOptions): {
  start(): Promise<void>;
  stop(): Promise<void>;
  addresses(): string[];
} {
  const family = isIPv6(options.host) ? 6 : 4;
  const type = family === 6 ? 'udp6' : 'udp4';
  const alt = options.alternate;
  const locals: TransportAddress[] = alt
    ? [
        { family, address: options.host, port: options.port },
        { family, address: options.host, port: alt.port },
        { family, address: alt.address, port: options.port },
        { family, address: alt.address, port: alt.port },
      ]
    : [{ family, address: options.host, port: options.port }];
  const batch = createUdpBatch();
  const endpoints: Endpoint[] = locals.map((local, index) => {
    const socket = createSocket({
      type,
      // Every client shares this socket: a burst (or a GC pause) must not overflow the default
      // ~200 KiB buffer. The kernel caps it at net.core.rmem_max.
      recvBufferSize: RECEIVE_BUFFER_BYTES,
      ipv6Only: family === 6 && options.host !== '::',
      // Answers go to the IP literal a datagram came from: skip dns.lookup on every send.
      lookup: (address, _options, callback) => {
        callback(null, address, family);
      },
    });
    const alternate: AlternateSet | undefined = alt
      ? {
          originFor: (changeIp, changePort) =>
            locals[(index ^ ((changeIp ? 2 : 0) | (changePort ? 1 : 0))) as Slot] ?? local,
        }
      : undefined;
    return { socket, local, alternate, links: new Map(), linkCount: 0, batch };
  });
  endpoints.forEach((endpoint, index) => {
    endpoint.socket.on('message', (datagram, from) => {
      handleDatagram(endpoints, index as Slot, datagram, from, options);
    });
    // ICMP-driven errors (ECONNREFUSED on send) must not end the process.
    endpoint.socket.on('error', () => undefined);
  });
  return {
    async start() {
      for (const { socket, local } of endpoints) {
        await bindUdp(
          socket,
          local.address,
          local.port,
          formatListenUrl({ transport: 'udp', host: local.address, port: local.port }),
        );
      }
    },
    async stop() {
      batch.flush();
      await Promise.all(endpoints.map(({ socket }) => closeUdp(socket)));
    },
    addresses: () =>
      endpoints.map(({ socket }) => {
        const { address, port } = socket.address();
        return formatListenUrl({ transport: 'udp', host: address, port });
      }),
  };
}

function handleDatagram(
  endpoints: readonly Endpoint[],
  index: Slot,
  datagram: Buffer,
  from: RemoteInfo,
  options: UdpSetOptions,
): void {
  const endpoint = endpoints[index];
  if (!endpoint) return;
  const { observer } = options;
  if (observer.blocked(from.address)) return;
  try {
    const { turn } = options;
    if (turn !== undefined && turn.handle(datagram, turnLink(endpoint, from))) return;
    const context: BindingContext = {
      transport: 'udp',
      source: transportAddressOf(from.address, from.port),
      local: isWildcard(endpoint.local.address) ? undefined : endpoint.local,
      alternate: endpoint.alternate,
      software: options.software,
    };
    const answer = answerStun(datagram, context);
    if (answer.kind === 'drop') {
      observer.dropped(answer.reason, from.address, claimsToBeStun(datagram));
      return;
    }
    const slot = (index ^ ((answer.changeIp ? 2 : 0) | (answer.changePort ? 1 : 0))) as Slot;
    const sender = endpoints[slot] ?? endpoint;
    sender.socket.send(answer.bytes, answer.port, from.address);
    observer.answered(answer);
  } catch (err) {
    observer.threw(err, from.address);
  }
}

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

/** The datagram carries the magic cookie where RFC 8489 puts it: not random noise. */
function claimsToBeStun(datagram: Buffer): boolean {
  return datagram.length >= 20 && datagram.readUInt32BE(4) === MAGIC_COOKIE;
}
