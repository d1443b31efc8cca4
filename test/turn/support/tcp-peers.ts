// RFC 6062 test ends: TCP peers (a listener whose accepted connections are recorded), and client
// data connections (a ConnectionBind, its answer, then raw bytes).

import { once } from 'node:events';
import { type Socket, connect, createServer } from 'node:net';
import type { TestContext } from 'node:test';
import type { TransportAddress } from '../../../src/stun/attributes/address.ts';
import { StunClass } from '../../../src/stun/constants.ts';
import { type StunMessage, decodeStunMessage } from '../../../src/stun/message.ts';
import { Inbox } from './inbox.ts';
import { errorCodeOf } from './replies.ts';
import { WAIT_MS } from './turn-client.ts';

/** One end of a TCP connection with every byte it received, and a wait for a byte count. */
export class Pipe {
  readonly socket: Socket;
  received: Buffer = Buffer.alloc(0);
  readonly closed: Promise<void>;
  private readonly waiters: { bytes: number; resolve: () => void }[] = [];

  constructor(socket: Socket, already: Buffer = Buffer.alloc(0)) {
    this.socket = socket;
    this.received = already;
    this.closed = once(socket, 'close').then(() => undefined);
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      for (const waiter of [...this.waiters]) {
        if (this.received.length < waiter.bytes) continue;
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    });
  }

  get remote(): TransportAddress {
    return {
      family: 4,
      address: this.socket.remoteAddress ?? '',
      port: this.socket.remotePort ?? 0,
    };
  }

  get local(): TransportAddress {
    return { family: 4, address: this.socket.localAddress ?? '', port: this.socket.localPort ?? 0 };
  }

  /** Resolves once `bytes` bytes in all have arrived (rejects after `timeoutMs`). */
  async until(bytes: number, timeoutMs = WAIT_MS): Promise<Buffer> {
    if (this.received.length < bytes) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.waiters.push({ bytes, resolve })),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            reject(new Error(`${this.received.length} of ${bytes} bytes within ${timeoutMs} ms`));
          }, timeoutMs);
        }),
      ]).finally(() => {
        clearTimeout(timer);
      });
    }
    return this.received;
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }
}

export interface TcpPeer {
  readonly address: TransportAddress;
  readonly accepted: Inbox<Pipe>;
}

/** A TCP listener on `host` (127.0.0.1 by default): every accepted connection lands in `accepted`. */
export async function tcpPeer(t: TestContext, host = '127.0.0.1'): Promise<TcpPeer> {
  const accepted = new Inbox<Pipe>();
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    accepted.push(new Pipe(socket));
  });
  server.listen(0, host);
  await once(server, 'listening');
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : 0;
  return { address: { family: 4, address: host, port }, accepted };
}

/** A plain TCP connection to `to` (a peer connecting to a relayed address). */
export async function tcpConnect(t: TestContext, to: TransportAddress): Promise<Pipe> {
  const socket = connect(to.port, to.address);
  t.after(() => socket.destroy());
  const pipe = new Pipe(socket);
  await Promise.race([once(socket, 'connect'), pipe.closed]);
  return pipe;
}

export interface DataConnection {
  /** The answer to the ConnectionBind: 'ok', or its error code. */
  readonly code: number | 'ok';
  readonly message: StunMessage;
  /** The connection, with what came after the answer. */
  readonly pipe: Pipe;
}

/**
 * A client data connection (RFC 6062 §4.3): sends `bind` (a ConnectionBind) and `after` in one
 * write, reads the answer off the stream; what follows it is relayed data.
 */
export async function dataConnection(
  t: TestContext,
  port: number,
  bind: Buffer,
  after: Buffer = Buffer.alloc(0),
): Promise<DataConnection> {
  const socket = connect(port, '127.0.0.1');
  t.after(() => socket.destroy());
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  socket.write(Buffer.concat([bind, after]));
  let buffered = Buffer.alloc(0);
  const answer = await new Promise<Buffer>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error('no answer to the ConnectionBind'));
    }, WAIT_MS);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 20 || buffered.length < 20 + buffered.readUInt16BE(2)) return;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.pause();
      resolve(buffered);
    };
    socket.on('data', onData);
  });
  const size = 20 + answer.readUInt16BE(2);
  const decoded = decodeStunMessage(answer.subarray(0, size));
  if (decoded.kind !== 'ok') throw new Error(`undecodable ConnectionBind answer: ${decoded.kind}`);
  const message = decoded.value;
  const pipe = new Pipe(socket, Buffer.from(answer.subarray(size)));
  socket.resume();
  return {
    code: message.class === StunClass.success ? 'ok' : (errorCodeOf(message) ?? 0),
    message,
    pipe,
  };
}
