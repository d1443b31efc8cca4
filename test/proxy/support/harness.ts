// Real sockets on 127.0.0.1 for pipeline tests: backends (plain or TLS), a proxy listener with a
// fake fraud gate and captured events, log lines and metrics, and small client helpers.
import { once } from 'node:events';
import { type Server, type Socket, connect, createServer } from 'node:net';
import type { TestContext } from 'node:test';
import { Writable } from 'node:stream';
import { type TLSSocket, connect as connectTls, createServer as createTlsServer } from 'node:tls';
import { proxySchema } from '../../../src/config/schema-proxy.ts';
import type { TlsMaterial } from '../../../src/net/tls.ts';
import { createLogger } from '../../../src/observe/log.ts';
import { type Metrics, createMetrics } from '../../../src/observe/metrics.ts';
import { type ProxyListener, createProxyListener } from '../../../src/proxy/pipeline.ts';
import {
  type ListenerType,
  type ProxyProtocol,
  listenerKinds,
} from '../../../src/proxy/protocol.ts';
import { testCertificate } from '../../support/stun-server.ts';
import { type TestProtocol, createTestProtocol } from './route-protocol.ts';

export const WAIT_MS = 5000;

export interface Backend {
  readonly port: number;
  /** Every accepted connection, in order; `received` grows as bytes arrive. */
  readonly connections: { socket: Socket; received: Buffer[] }[];
  nextConnection(): Promise<{ socket: Socket; received: Buffer[] }>;
}

/** Greets each connection with `<name>\n`, then echoes; over TLS when `tls` is set. */
export async function startBackend(
  t: TestContext,
  name: string,
  options: { tls?: boolean; greet?: boolean; echo?: boolean } = {},
): Promise<Backend> {
  const connections: Backend['connections'] = [];
  const waiting: (() => void)[] = [];
  const onConnection = (socket: Socket): void => {
    const connection = { socket, received: [] as Buffer[] };
    connections.push(connection);
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      connection.received.push(chunk);
      if (options.echo !== false) socket.write(chunk);
    });
    socket.on('end', () => socket.end());
    if (options.greet !== false) socket.write(`${name}\n`);
    waiting.shift()?.();
  };
  const { certPem, keyPem } = testCertificate();
  const server: Server = options.tls
    ? createTlsServer({ cert: certPem, key: keyPem, allowHalfOpen: true }, onConnection)
    : createServer({ allowHalfOpen: true }, onConnection);
  const port = await listenOn(t, server);
  let taken = 0;
  return {
    port,
    connections,
    async nextConnection() {
      while (connections.length <= taken) {
        await new Promise<void>((resolve) => waiting.push(resolve));
      }
      const connection = connections[taken++];
      if (connection === undefined) throw new Error('no connection');
      return connection;
    },
  };
}

export async function listenOn(
  t: TestContext,
  server: Server,
  host = '127.0.0.1',
): Promise<number> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, host);
  await once(server, 'listening');
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

export interface GatewayOptions {
  readonly type?: ListenerType;
  /** `proxy.services` as YAML would give them. */
  readonly services: readonly unknown[];
  /** Other `proxy:` keys as written in YAML (`firstMessageTimeout: '500ms'`). */
  readonly proxy?: Record<string, unknown>;
  /** The route protocol of these tests by default; a real one (SIP, LDAP) for its own tests. */
  readonly protocol?: TestProtocol | ProxyProtocol;
  readonly tls?: TlsMaterial;
  readonly blocked?: ReadonlySet<string>;
}

export interface Gateway {
  readonly port: number;
  readonly listener: ProxyListener;
  /** The test protocol's counters (a real protocol given in the options is not one). */
  readonly protocol: TestProtocol;
  readonly events: { ip: string; reason: string }[];
  readonly logLines: Record<string, unknown>[];
  readonly metrics: Metrics;
  /** Every IP the gate was asked about. */
  readonly gateChecks: string[];
  /** How often the gate was told it refused a connection. */
  readonly gateRefusals: { count: number };
  /** The value of one labelled sample of a proxy metric (0 when absent). */
  metric(name: string, labels: Record<string, string>): Promise<number>;
}

export async function startGateway(t: TestContext, options: GatewayOptions): Promise<Gateway> {
  const proxy = proxySchema.parse({ ...options.proxy, services: options.services });
  const given = options.protocol;
  const testProtocol = given !== undefined && 'sniffs' in given ? given : createTestProtocol();
  const protocol: ProxyProtocol = given ?? testProtocol;
  const events: Gateway['events'] = [];
  const logLines: Gateway['logLines'] = [];
  const gateChecks: string[] = [];
  const gateRefusals = { count: 0 };
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) {
        if (line !== '') logLines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  const metrics = createMetrics({ defaultMetrics: false });
  const listener = createProxyListener(
    options.type ?? 'sip-tcp',
    { host: '127.0.0.1', port: 0 },
    {
      protocol,
      proxy,
      tls: options.tls && ((): TlsMaterial => options.tls as TlsMaterial),
      fraud: {
        isBlocked: (ip) => {
          gateChecks.push(ip);
          return options.blocked?.has(ip) ?? false;
        },
        countRefused: () => {
          gateRefusals.count++;
        },
      },
      suspicious: (ip, reason) => events.push({ ip, reason }),
      log: createLogger({ level: 'info', destination }),
      metrics,
    },
  );
  await listener.start();
  t.after(() => listener.stop());
  const port = listener.address()?.port;
  if (port === undefined) throw new Error('the listener has no port');
  const metric = async (name: string, labels: Record<string, string>): Promise<number> => {
    const found = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
    const sample = found?.values.find((value) =>
      Object.entries(labels).every(([key, wanted]) => value.labels[key] === wanted),
    );
    return sample?.value ?? 0;
  };
  return {
    port,
    listener,
    protocol: testProtocol,
    events,
    logLines,
    metrics,
    gateChecks,
    gateRefusals,
    metric,
  };
}

export async function connectPlain(
  port: number,
  options: { localAddress?: string; allowHalfOpen?: boolean } = {},
): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port, ...options });
  socket.on('error', () => undefined);
  await once(socket, 'connect', { signal: AbortSignal.timeout(WAIT_MS) });
  return socket;
}

export async function connectSecure(
  port: number,
  options: { cert?: string; key?: string; servername?: string; allowHalfOpen?: boolean } = {},
): Promise<TLSSocket> {
  const { allowHalfOpen = false, ...tls } = options;
  // The TLS socket takes allowHalfOpen from the TCP socket under it.
  const tcp = await connectPlain(port, { allowHalfOpen });
  const socket = connectTls({ socket: tcp, rejectUnauthorized: false, ...tls });
  socket.on('error', () => undefined);
  await once(socket, 'secureConnect', { signal: AbortSignal.timeout(WAIT_MS) });
  return socket;
}

/** Everything read until `done(text)` holds; rejects after WAIT_MS. */
export function readUntil(socket: Socket, done: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out; read so far: ${JSON.stringify(text)}`));
    }, WAIT_MS);
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      if (done(text)) {
        cleanup();
        resolve(text);
      }
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
    };
    socket.on('data', onData);
  });
}

/** Everything read until the connection closes; rejects after `timeoutMs`. */
export async function readToClose(socket: Socket, timeoutMs = WAIT_MS): Promise<string> {
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  await once(socket, 'close', { signal: AbortSignal.timeout(timeoutMs) });
  return text;
}

/** Polls `condition` every 10 ms; rejects after WAIT_MS. */
export async function waitFor(condition: () => boolean): Promise<void> {
  const until = Date.now() + WAIT_MS;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * One client connection through a gateway of `protocol` (listener `type`, sip-tcp by default) to
 * one service whose backend records and says nothing, once that backend has the client's `first`
 * message (the route is taken).
 */
export async function routedConnection(
  t: TestContext,
  options: {
    readonly type?: ListenerType;
    readonly protocol: ProxyProtocol;
    readonly service: string;
    readonly first: Uint8Array;
  },
): Promise<{ gateway: Gateway; client: Socket; received: () => Buffer }> {
  const type = options.type ?? 'sip-tcp';
  const backend = await startBackend(t, 'backend', { greet: false, echo: false });
  const ports = { [listenerKinds[type].kind]: { tcp: backend.port } };
  const gateway = await startGateway(t, {
    type,
    services: [{ name: options.service, host: '127.0.0.1', ports }],
    protocol: options.protocol,
  });
  const client = await connectPlain(gateway.port);
  client.write(options.first);
  const connection = await backend.nextConnection();
  const received = (): Buffer => Buffer.concat(connection.received);
  await waitFor(() => received().length >= options.first.length);
  return { gateway, client, received };
}
