// The two ends of the bulk benchmark, each its own process so that its CPU is not the relay's
// (node --import tsx bench/tcp/bulk-ends.ts ...):
//
//   sink PORT
//     A TCP server on 127.0.0.1:PORT that counts and discards what it receives. A connection
//     starts with a SIP REGISTER whose X-Bench-Bytes header says how many bytes the connection
//     will carry in all (the REGISTER included); when that many have arrived the sink answers the
//     REGISTER with a SIP 200 OK, which goes back through the relay: the source's end-to-end ack.
//   source PORT BYTES STREAMS BODY_BYTES
//     STREAMS connections to 127.0.0.1:PORT carrying BYTES in all (split evenly): each sends a
//     REGISTER (From sip:bench@example.com), then SIP MESSAGE requests with BODY_BYTES of body
//     each (valid SIP, Content-Length right: a SIP relay frames every message) from one
//     pre-built buffer written again and again with backpressure, then waits for the 200 OK.
//     Prints one JSON line: {"bytes", "streams", "seconds", "mibPerSecond"}, timed from before
//     the connects to the last ack.
//   relay PORT TARGET_PORT
//     Reference only, not a peer: the plainest Node relay (net.Server, socket.pipe() both ways, no
//     framing), to tell what Node itself costs from what pbxgate adds (peer-bench's node-pipe).

import { type Socket, connect, createServer } from 'node:net';

const HOST = '127.0.0.1';
const DOMAIN = 'example.com';
/** Messages in the pre-built buffer (about 1 MiB with 60 000-byte bodies). */
const MESSAGES_PER_BLOCK = 16;
/** Digits of X-Bench-Bytes: fixed, so the REGISTER's length does not depend on its value. */
const BYTES_DIGITS = 16;
const HEAD_LIMIT = 16_384;
const TIMEOUT_MS = 600_000;

function register(stream: number, totalBytes: number): Buffer {
  return Buffer.from(
    [
      `REGISTER sip:${DOMAIN} SIP/2.0`,
      `Via: SIP/2.0/TCP ${HOST}:5099;branch=z9hG4bK-bulk-reg-${stream}`,
      'Max-Forwards: 70',
      `From: <sip:bench@${DOMAIN}>;tag=bulk-${stream}`,
      `To: <sip:bench@${DOMAIN}>`,
      `Call-ID: bulk-reg-${stream}@${HOST}`,
      'CSeq: 1 REGISTER',
      `Contact: <sip:bench@${HOST}:5099;transport=tcp>`,
      'Expires: 3600',
      `X-Bench-Bytes: ${String(totalBytes).padStart(BYTES_DIGITS, '0')}`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
    'latin1',
  );
}

function message(stream: number, cseq: number, body: Buffer): Buffer {
  const head = [
    `MESSAGE sip:pbx@${DOMAIN} SIP/2.0`,
    `Via: SIP/2.0/TCP ${HOST}:5099;branch=z9hG4bK-bulk-${stream}-${cseq}`,
    'Max-Forwards: 70',
    `From: <sip:bench@${DOMAIN}>;tag=bulk-${stream}`,
    `To: <sip:pbx@${DOMAIN}>`,
    `Call-ID: bulk-msg-${stream}@${HOST}`,
    `CSeq: ${cseq} MESSAGE`,
    'Content-Type: text/plain',
    `Content-Length: ${body.length}`,
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/** MESSAGES_PER_BLOCK messages back to back, and where each one ends. */
function block(stream: number, bodyBytes: number): { bytes: Buffer; ends: number[] } {
  const body = Buffer.alloc(bodyBytes, 'pbxgate bulk benchmark body. ', 'latin1');
  const parts: Buffer[] = [];
  const ends: number[] = [];
  let at = 0;
  for (let cseq = 1; cseq <= MESSAGES_PER_BLOCK; cseq++) {
    const m = message(stream, cseq, body);
    parts.push(m);
    at += m.length;
    ends.push(at);
  }
  return { bytes: Buffer.concat(parts), ends };
}

/** The pieces one stream writes after its REGISTER: whole blocks, then a block's first messages. */
function plan(stream: number, bytes: number, bodyBytes: number) {
  const { bytes: full, ends } = block(stream, bodyBytes);
  const messageBytes = ends[0] ?? full.length;
  const head = register(stream, 0).length;
  const messages = Math.max(1, Math.ceil((bytes - head) / messageBytes));
  const blocks = Math.floor(messages / MESSAGES_PER_BLOCK);
  const rest = messages % MESSAGES_PER_BLOCK;
  const last = rest === 0 ? undefined : full.subarray(0, ends[rest - 1]);
  const total = head + blocks * full.length + (last?.length ?? 0);
  return { first: register(stream, total), full, blocks, last, total };
}

function sendStream(port: number, stream: number, bytes: number, bodyBytes: number) {
  const p = plan(stream, bytes, bodyBytes);
  return new Promise<number>((resolve, reject) => {
    const socket = connect({ host: HOST, port });
    socket.setNoDelay(true);
    let blocksLeft = p.blocks;
    const pump = (): void => {
      while (blocksLeft > 0) {
        blocksLeft--;
        if (!socket.write(p.full)) {
          socket.once('drain', pump);
          return;
        }
      }
      if (p.last !== undefined) socket.write(p.last);
    };
    socket.once('connect', () => {
      socket.write(p.first);
      pump();
    });
    let reply = '';
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => {
      reply += text;
      if (!reply.includes('\r\n\r\n')) return;
      socket.destroy();
      if (reply.startsWith('SIP/2.0 200 ')) resolve(p.total);
      else
        reject(
          new Error(`stream ${stream}: unexpected answer ${JSON.stringify(reply.slice(0, 80))}`),
        );
    });
    socket.once('error', reject);
    socket.once('close', () => {
      reject(new Error(`stream ${stream}: closed before the 200 OK`));
    });
  });
}

async function source(port: number, bytes: number, streams: number, bodyBytes: number) {
  const timer = setTimeout(() => {
    process.stderr.write(`source: no ack after ${TIMEOUT_MS} ms\n`);
    process.exit(1);
  }, TIMEOUT_MS);
  const started = process.hrtime.bigint();
  const per = Math.ceil(bytes / streams);
  const sent = await Promise.all(
    Array.from({ length: streams }, (_, i) => sendStream(port, i + 1, per, bodyBytes)),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearTimeout(timer);
  const total = sent.reduce((a, b) => a + b, 0);
  const mibPerSecond = total / 1_048_576 / seconds;
  process.stdout.write(`${JSON.stringify({ bytes: total, streams, seconds, mibPerSecond })}\n`);
}

/** The 200 OK to the REGISTER that opened the connection (its Via, From, To, Call-ID, CSeq). */
function answer(head: string): string {
  const keep = head.split('\r\n').filter((line) => /^(Via|From|Call-ID|CSeq)\s*:/i.test(line));
  const to = /^To\s*:.*$/im.exec(head)?.[0] ?? `To: <sip:bench@${DOMAIN}>`;
  return ['SIP/2.0 200 OK', ...keep, `${to};tag=sink`, 'Content-Length: 0', '', ''].join('\r\n');
}

function sinkConnection(socket: Socket): void {
  let head = '';
  let want = -1;
  let got = 0;
  let answered = false;
  socket.on('data', (chunk: Buffer) => {
    got += chunk.length;
    if (want < 0) {
      head += chunk.toString('latin1', 0, Math.min(chunk.length, HEAD_LIMIT));
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length >= HEAD_LIMIT) socket.destroy();
        return;
      }
      head = head.slice(0, end);
      want = Number(/^X-Bench-Bytes\s*:\s*(\d+)/im.exec(head)?.[1] ?? Number.NaN);
      if (!Number.isFinite(want)) socket.destroy();
    }
    if (!answered && got >= want) {
      answered = true;
      socket.write(answer(head));
    }
  });
  socket.on('error', () => {
    socket.destroy();
  });
}

function sink(port: number): void {
  const server = createServer(sinkConnection);
  server.listen({ host: HOST, port, backlog: 64 }, () => {
    process.stdout.write(`sink listening on ${HOST}:${port}\n`);
  });
  const stop = (): void => {
    server.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

function pipeRelay(port: number, targetPort: number): void {
  const server = createServer((client) => {
    const upstream = connect({ host: HOST, port: targetPort });
    client.pipe(upstream).pipe(client);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.once('error', close);
      socket.once('close', close);
    }
  });
  server.listen({ host: HOST, port }, () => {
    process.stdout.write(`relay ${HOST}:${port} -> ${HOST}:${targetPort}\n`);
  });
  const stop = (): void => {
    server.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

function integer(text: string | undefined, name: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new Error(`${name}: not a positive integer: ${text}`);
  return value;
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'sink') {
  sink(integer(rest[0], 'PORT'));
} else if (mode === 'relay') {
  pipeRelay(integer(rest[0], 'PORT'), integer(rest[1], 'TARGET_PORT'));
} else if (mode === 'source') {
  const [port, bytes, streams, bodyBytes] = rest;
  await source(
    integer(port, 'PORT'),
    integer(bytes, 'BYTES'),
    integer(streams, 'STREAMS'),
    integer(bodyBytes, 'BODY_BYTES'),
  );
} else {
  process.stderr.write(
    'usage: bulk-ends.ts sink PORT | source PORT BYTES STREAMS BODY_BYTES | relay PORT TARGET_PORT\n',
  );
  process.exitCode = 2;
}
