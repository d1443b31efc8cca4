// The TCP listener every proxy listener type shares: accept (paused), track sockets so stop() can
// end them, bind dual-stack, report the bound address. What happens to a connection is the caller's.

import { type Server, type Socket, createServer } from 'node:net';
import { closeServer, listenTcp } from '../net/listen.ts';
import { type HostPort, formatHostPort } from '../net/listen-url.ts';
import type { ProxyListenAddress } from '../config/schema-proxy.ts';
import { proxyListenHostPort } from '../config/schema-proxy.ts';
import type { Logger } from '../observe/log.ts';
import type { Part } from '../part.ts';
import type { ListenerType } from './protocol.ts';

export interface ProxyListener extends Part {
  /** The bound address (port 0 resolved) while listening. */
  address(): HostPort | undefined;
}

export interface ListenerShell {
  readonly listener: ProxyListener;
  /** Tracks a socket (client or backend) so that stop() destroys it. */
  readonly own: (socket: Socket) => void;
  /** Sets what happens to each accepted connection (it arrives paused). */
  readonly onConnection: (handler: (socket: Socket) => void) => void;
}

export function createListenerShell(
  type: ListenerType,
  listen: ProxyListenAddress,
  log: Logger,
): ListenerShell {
  const sockets = new Set<Socket>();
  const own = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  let handler: (socket: Socket) => void = (socket) => socket.destroy();
  const server: Server = createServer(
    { pauseOnConnect: true, allowHalfOpen: true, noDelay: true },
    (socket) => {
      handler(socket);
    },
  );
  server.on('error', (err) => {
    log.error({ err }, 'proxy listener error');
  });
  const boundAddress = (): HostPort | undefined => {
    const bound = server.address();
    return bound !== null && typeof bound === 'object'
      ? { host: bound.address, port: bound.port }
      : undefined;
  };
  return {
    own,
    onConnection: (next) => {
      handler = next;
    },
    listener: {
      name: `proxy-${type}`,
      async start() {
        const address = proxyListenHostPort(listen);
        const bound = await listenDualStack(server, address, `proxy.listen.${type}`);
        const port = boundAddress()?.port ?? bound.port;
        log.info({ listen: formatHostPort({ host: bound.host, port }) }, 'proxy listening');
      },
      async stop() {
        const closed = closeServer(server);
        for (const socket of sockets) socket.destroy();
        await closed;
      },
      address: boundAddress,
    },
  };
}

/** `::` on a host without IPv6 falls back to 0.0.0.0, as node does for a listener without a host. */
export async function listenDualStack(
  server: Server,
  address: HostPort,
  what: string,
): Promise<HostPort> {
  const describe = (host: string): string =>
    `${what} (${formatHostPort({ host, port: address.port })})`;
  try {
    await listenTcp(server, address.host, address.port, describe(address.host));
    return address;
  } catch (err) {
    const code = (err as { cause?: { code?: unknown } }).cause?.code;
    if (address.host !== '::' || (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL')) throw err;
    await listenTcp(server, '0.0.0.0', address.port, describe('0.0.0.0'));
    return { host: '0.0.0.0', port: address.port };
  }
}
