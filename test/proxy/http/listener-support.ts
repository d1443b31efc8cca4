// Real sockets for the HTTP listener tests: node:http backends that describe each request they got,
// an HTTP(S) listener with captured suspicious events, and a raw client that reads whole responses.
import { once } from 'node:events';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { Writable } from 'node:stream';
import { proxySchema } from '../../../src/config/schema-proxy.ts';
import type { TlsMaterial } from '../../../src/net/tls.ts';
import { createLogger } from '../../../src/observe/log.ts';
import { createMetrics } from '../../../src/observe/metrics.ts';
import { createHttpListener } from '../../../src/proxy/http/listener.ts';
import { decodeResponseHead } from '../../../src/proxy/http/response-head.ts';
import { defaultHeadLimits } from '../../../src/proxy/http/problem.ts';
import { WAIT_MS, listenOn } from '../support/harness.ts';

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly remotePort: number | undefined;
}

export interface HttpBackend {
  readonly port: number;
  readonly seen: SeenRequest[];
}

/**
 * Answers every request with `<name> <method> <url>` (Content-Length); `/chunked` answers in two
 * chunks; `/status/<n>` answers with status n; `/silent` never answers; `/stall` sends 10 of 100
 * promised body bytes and stops.
 */
export async function startHttpBackend(t: TestContext, name: string): Promise<HttpBackend> {
  const seen: SeenRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    req.on('data', (chunk: Buffer) => parts.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(parts).toString();
      const url = req.url ?? '';
      seen.push({
        method: req.method ?? '',
        url,
        headers: req.headers,
        body,
        remotePort: req.socket.remotePort,
      });
      if (url === '/silent') return; // never answers
      if (url === '/stall') {
        // A tenth of the promised body, then nothing more.
        res.writeHead(200, { 'content-length': '100' });
        res.write(Buffer.alloc(10, 0x73));
        return;
      }
      if (url.startsWith('/bytes/')) {
        res.writeHead(200, { 'content-length': url.slice(7) });
        res.end(Buffer.alloc(Number(url.slice(7)), 0x7a));
        return;
      }
      if (url === '/chunked') {
        res.write(`${name} part one;`);
        setTimeout(() => res.end(`${name} part two`), 10);
        return;
      }
      const status = url.startsWith('/status/') ? Number(url.slice(8)) : 200;
      const text = `${name} ${req.method ?? ''} ${url} ${body}`;
      res.writeHead(status, {
        'content-type': 'text/plain',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
      // The backend ends its side of the keep-alive connection after this response.
      if (req.headers['x-close-backend'] === 'yes') res.once('finish', () => req.socket.end());
    });
  });
  const port = await listenOn(t, server);
  return { port, seen };
}

export interface HttpGateway {
  readonly port: number;
  readonly events: { ip: string; reason: string }[];
  readonly reasons: () => string[];
}

export async function startHttpGateway(
  t: TestContext,
  options: {
    type?: 'http' | 'https';
    services: readonly unknown[];
    proxy?: Record<string, unknown>;
    tls?: TlsMaterial;
    responseTimeoutMs?: number;
  },
): Promise<HttpGateway> {
  const proxy = proxySchema.parse({ ...options.proxy, services: options.services });
  const events: HttpGateway['events'] = [];
  const destination = new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });
  const tls = options.tls;
  const listener = createHttpListener(
    options.type ?? 'http',
    { host: '127.0.0.1', port: 0 },
    {
      proxy,
      tls: tls === undefined ? undefined : () => tls,
      fraud: { isBlocked: () => false },
      suspicious: (ip, reason) => events.push({ ip, reason }),
      log: createLogger({ level: 'info', destination }),
      metrics: createMetrics({ defaultMetrics: false }),
      responseTimeoutMs: options.responseTimeoutMs,
    },
  );
  await listener.start();
  t.after(() => listener.stop());
  const port = listener.address()?.port;
  if (port === undefined) throw new Error('the listener has no port');
  return { port, events, reasons: () => events.map((event) => event.reason) };
}

export interface Response {
  readonly status: number;
  readonly head: string;
  readonly body: string;
}

/** Reads whole responses (Content-Length, chunked or until close) one after another from a socket. */
export function responseReader(
  socket: Socket,
  method = 'GET',
): { next(): Promise<Response>; closed(): boolean } {
  let buffer = Buffer.alloc(0);
  let isClosed = false;
  const waiting: (() => void)[] = [];
  const wake = (): void => {
    for (const fn of waiting.splice(0)) fn();
  };
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    wake();
  });
  socket.on('close', () => {
    isClosed = true;
    wake();
  });
  const tryTake = (): Response | undefined => {
    const head = decodeResponseHead(buffer, method, defaultHeadLimits);
    if (head.kind === 'malformed') throw new Error(`bad response: ${head.reason}`);
    if (head.kind === 'incomplete') return undefined;
    const { size, framing, status } = head.value;
    const headText = buffer.toString('latin1', 0, size);
    let end: number;
    let body: string;
    if (framing.kind === 'none') {
      end = size;
      body = '';
    } else if (framing.kind === 'length') {
      end = size + framing.length;
      if (buffer.length < end) return undefined;
      body = buffer.toString('latin1', size, end);
    } else if (framing.kind === 'chunked') {
      const last = buffer.indexOf('\r\n0\r\n\r\n', size - 2);
      if (last < 0) return undefined;
      end = last + 7;
      body = buffer.toString('latin1', size, end);
    } else {
      if (!isClosed) return undefined;
      end = buffer.length;
      body = buffer.toString('latin1', size);
    }
    buffer = buffer.subarray(end);
    return { status, head: headText, body };
  };
  return {
    async next() {
      const until = Date.now() + WAIT_MS;
      for (;;) {
        const response = tryTake();
        if (response !== undefined) return response;
        if (isClosed) throw new Error(`closed; left: ${JSON.stringify(buffer.toString())}`);
        if (Date.now() > until) throw new Error('no response in time');
        await Promise.race([
          new Promise<void>((resolve) => waiting.push(resolve)),
          new Promise((resolve) => setTimeout(resolve, 50)),
        ]);
      }
    },
    closed: () => isClosed,
  };
}

export function get(path: string, host: string, extra = ''): string {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`;
}

export async function waitClosed(socket: Socket): Promise<void> {
  if (socket.closed) return;
  await once(socket, 'close', { signal: AbortSignal.timeout(WAIT_MS) });
}
