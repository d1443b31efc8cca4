// RFC 6062 TCP allocations, the sockets: a listening TCP socket per allocation and family on a
// random port of `turn.relay.ports` (the relayed transport address, where peers connect in), and
// connections out to peers from the relay's address. Accepted and opened connections come paused:
// nothing is read from a peer before the client binds a data connection to it (RFC 6062 §5.3).

import { randomInt } from 'node:crypto';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { unmapIpv4 } from '../net/ip-bytes.ts';
import { isWildcardAddress } from '../net/listen-url.ts';
import type { TransportAddress } from '../stun/attributes/address.ts';
import { type LocalAddressOf, type RelayConfig, announcedHost, bindAddress } from './relay.ts';

/** Random picks before giving up (508), as for UDP relays. */
const ATTEMPTS = 40;

/** A peer connected to the relayed address; the socket is paused. */
export type InboundPeer = (socket: Socket, peer: TransportAddress) => void;

export interface TcpRelayListener {
  /** The relayed transport address (as advertised). */
  readonly address: TransportAddress;
  /** Connects to `peer` from the relay's address; 'failed' when refused or not within `timeoutMs`. */
  connect(peer: TransportAddress, timeoutMs: number): Promise<Socket | 'failed'>;
  close(): void;
}

export interface TcpRelayOpener {
  /** A listening relay socket, or undefined when no port of the range is free (508). */
  open(family: 4 | 6, onPeer: InboundPeer): Promise<TcpRelayListener | undefined>;
}

function listen(server: Server, host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const onError = (): void => {
      resolve(false);
    };
    server.once('error', onError);
    server.listen({ host, port, exclusive: true, ipv6Only: host.includes(':') }, () => {
      server.off('error', onError);
      resolve(true);
    });
  });
}

function addressOf(ip: string | undefined, port: number | undefined): TransportAddress {
  const address = unmapIpv4(ip ?? '');
  return { family: address.includes(':') ? 6 : 4, address, port: port ?? 0 };
}

/**
 * Outbound connections leave from the relay's IP address with a port of the kernel's choosing:
 * Linux refuses to bind a second socket to the port a listening socket holds, and permissions at
 * the other end are by IP address (RFC 8656 §9).
 */
function connectFrom(
  localAddress: string | undefined,
  peer: TransportAddress,
  timeoutMs: number,
  inFlight: Set<Socket>,
): Promise<Socket | 'failed'> {
  return new Promise((resolve) => {
    const socket = connect({
      host: peer.address,
      port: peer.port,
      family: peer.family,
      noDelay: true,
      ...(localAddress === undefined ? {} : { localAddress }),
    });
    inFlight.add(socket);
    const fail = (): void => {
      clearTimeout(timer);
      inFlight.delete(socket);
      socket.destroy();
      resolve('failed');
    };
    const timer = setTimeout(fail, timeoutMs);
    socket.once('error', fail);
    // Destroyed while connecting: the relay closed (its allocation ended).
    socket.once('close', fail);
    socket.once('connect', () => {
      clearTimeout(timer);
      inFlight.delete(socket);
      socket.off('error', fail);
      socket.off('close', fail);
      socket.pause();
      resolve(socket);
    });
  });
}

export function createTcpRelayOpener(config: RelayConfig, localOf: LocalAddressOf): TcpRelayOpener {
  return {
    async open(family, onPeer) {
      const host = bindAddress(config, family);
      const announced = announcedHost(config, family, localOf);
      if (host === undefined || announced === undefined) return undefined;
      const { min, max } = config.ports;
      for (let i = 0; i < ATTEMPTS; i++) {
        const server = createServer({ pauseOnConnect: true, noDelay: true }, (socket) => {
          socket.on('error', () => socket.destroy());
          onPeer(socket, addressOf(socket.remoteAddress, socket.remotePort));
        });
        if (!(await listen(server, host, randomInt(min, max + 1)))) {
          server.close();
          continue;
        }
        server.on('error', () => undefined);
        const bound = server.address();
        const port = typeof bound === 'object' && bound !== null ? bound.port : 0;
        const wildcard = isWildcardAddress(host);
        const inFlight = new Set<Socket>();
        return {
          address: { family, address: announced, port },
          connect: (peer, timeoutMs) =>
            connectFrom(wildcard ? undefined : host, peer, timeoutMs, inFlight),
          close() {
            server.close();
            for (const socket of inFlight) socket.destroy();
          },
        };
      }
      return undefined;
    },
  };
}
