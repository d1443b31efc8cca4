// The STUN server part: UDP sets, TCP and TLS listeners from `stun.listen`, one lifecycle.

import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { TlsHolder } from '../net/tls-holder.ts';
import type { Part } from '../part.ts';
import { closeServer, listenTcp } from '../net/listen.ts';
import { type ListenUrl, formatListenUrl } from '../net/listen-url.ts';
import { PbxgateError } from '../errors.ts';
import { writeText } from './attributes/text.ts';
import { type StunServerDeps, createStunObserver } from './observer.ts';
import { serveStunStream } from './stream.ts';
import { createUdpSet } from './udp.ts';
import type { TurnService } from '../turn/service.ts';

export interface StunServerConfig {
  readonly listen: readonly ListenUrl[];
  readonly alternate?: { readonly address: string; readonly port: number } | undefined;
  readonly software?: string | undefined;
}

export interface StunServer extends Part {
  /** The addresses actually bound (port 0 resolved), as listen URLs. */
  addresses(): string[];
}

export const STREAM_IDLE_TIMEOUT_MS = 30_000;
export const STREAM_MAX_MESSAGE_BYTES = 4096;

/** With TURN, a stream carries ChannelData and Send indications up to 64 KiB. */
const TURN_STREAM_MAX_MESSAGE_BYTES = 65_536 + 36;

export function createStunServer(
  config: StunServerConfig,
  deps: StunServerDeps & {
    readonly tls?: TlsHolder | undefined;
    /** TURN on the same listeners (an idle TCP/TLS connection with an allocation stays open). */
    readonly turn?: { readonly service: TurnService } | undefined;
  },
): StunServer {
  const turn = deps.turn?.service;
  const software = config.software === undefined ? undefined : writeText(config.software);
  const udpSets: ReturnType<typeof createUdpSet>[] = [];
  const streams: { server: Server; url: ListenUrl }[] = [];
  const connections = new Set<Socket>();
  for (const url of config.listen) {
    if (url.transport === 'udp') {
      const family = url.host.includes(':') ? 6 : 4;
      const alternateFamily = config.alternate?.address.includes(':') ? 6 : 4;
      udpSets.push(
        createUdpSet({
          host: url.host,
          port: url.port,
          // RFC 5780 needs both addresses in one family; other-family listeners run without it.
          alternate: config.alternate && family === alternateFamily ? config.alternate : undefined,
          software,
          observer: createStunObserver('udp', deps),
          turn,
        }),
      );
      continue;
    }
    const transport = url.transport;
    const observer = createStunObserver(transport, deps);
    const options = {
      transport,
      software,
      observer,
      maxMessageBytes:
        turn === undefined ? STREAM_MAX_MESSAGE_BYTES : TURN_STREAM_MAX_MESSAGE_BYTES,
      idleTimeoutMs: STREAM_IDLE_TIMEOUT_MS,
      turn,
    };
    const gauge = deps.metrics.stunConnections.labels(transport);
    const onConnection = (socket: Socket): void => {
      gauge.inc();
      connections.add(socket);
      socket.once('close', () => {
        gauge.dec();
        connections.delete(socket);
      });
      serveStunStream(socket, options);
    };
    let server: Server;
    if (transport === 'tls') {
      if (!deps.tls)
        throw new PbxgateError(
          'PBX_ERR_TLS',
          `stun: ${formatListenUrl(url)} needs TLS certificates`,
        );
      const tlsServer = createTlsServer(deps.tls.serverOptions(), onConnection);
      deps.tls.track(tlsServer);
      server = tlsServer;
      // The gate runs on the raw TCP socket, before any TLS work is done for a blacklisted IP.
      server.prependListener('connection', (socket: Socket) => {
        if (observer.blocked(socket.remoteAddress ?? '')) socket.destroy();
      });
      server.on('tlsClientError', () => undefined);
    } else {
      server = createTcpServer((socket) => {
        if (observer.blocked(socket.remoteAddress ?? '')) socket.destroy();
        else onConnection(socket);
      });
    }
    streams.push({ server, url });
  }
  const log = deps.log.child({ part: 'stun' });
  const stop = async (): Promise<void> => {
    for (const socket of connections) socket.destroy();
    await Promise.all([
      ...udpSets.map((set) => set.stop()),
      ...streams.map(({ server }) => closeServer(server)),
    ]);
  };
  const addresses = (): string[] => [
    ...udpSets.flatMap((set) => set.addresses()),
    ...streams.map(({ server, url }) => {
      const bound = server.address();
      const port = bound && typeof bound === 'object' ? bound.port : url.port;
      return formatListenUrl({ ...url, port });
    }),
  ];
  return {
    name: 'stun',
    async start() {
      try {
        for (const set of udpSets) await set.start();
        for (const { server, url } of streams)
          await listenTcp(server, url.host, url.port, formatListenUrl(url));
      } catch (err) {
        await stop();
        throw err;
      }
      for (const address of addresses()) log.info({ listen: address }, 'stun listening');
    },
    stop,
    addresses,
  };
}
