// One client transport address of the TURN tests: a UDP socket or a TCP connection to the server,
// every frame it receives (STUN or ChannelData, framed by hand on TCP) in an inbox.

import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { connect } from 'node:net';
import type { TestContext } from 'node:test';
import type { TransportAddress } from '../../../src/stun/attributes/address.ts';
import { Inbox } from './inbox.ts';

export type Transport = 'udp' | 'tcp';

/** Whole frames off a TCP byte stream: STUN by its header length, ChannelData padded to 4. */
export function frameStream(buffered: Buffer, emit: (frame: Buffer) => void): Buffer | 'garbage' {
  let rest = buffered;
  while (rest.length >= 4) {
    const kind = (rest[0] ?? 0) >> 6;
    const length = rest.readUInt16BE(2);
    let size: number;
    if (kind === 0) size = 20 + length;
    else if (kind === 1) size = 4 + ((length + 3) & ~3);
    else return 'garbage';
    if (rest.length < size) break;
    emit(Buffer.from(rest.subarray(0, size)));
    rest = rest.subarray(size);
  }
  return rest;
}

/** One client transport address: every frame the server sends lands in `inbox`. */
export class TurnConnection {
  readonly transport: Transport;
  readonly local: TransportAddress;
  readonly inbox: Inbox<Buffer>;
  /** TCP: resolves when the server closed (or reset) the connection. */
  readonly ended: Promise<void>;
  private readonly write: (bytes: Uint8Array) => Promise<void>;
  private readonly end: () => void;

  constructor(fields: {
    transport: Transport;
    local: TransportAddress;
    inbox: Inbox<Buffer>;
    ended: Promise<void>;
    write: (bytes: Uint8Array) => Promise<void>;
    end: () => void;
  }) {
    this.transport = fields.transport;
    this.local = fields.local;
    this.inbox = fields.inbox;
    this.ended = fields.ended;
    this.write = fields.write;
    this.end = fields.end;
  }

  send(bytes: Uint8Array): Promise<void> {
    return this.write(bytes);
  }

  close(): void {
    this.end();
  }
}

export async function connectTurn(
  t: TestContext,
  transport: Transport,
  port: number,
): Promise<TurnConnection> {
  const inbox = new Inbox<Buffer>();
  if (transport === 'udp') {
    const socket = createSocket('udp4');
    let isOpen = true;
    const end = (): void => {
      if (isOpen) socket.close();
      isOpen = false;
    };
    t.after(end);
    socket.on('message', (datagram) => {
      inbox.push(datagram);
    });
    socket.on('error', () => undefined);
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    const local: TransportAddress = {
      family: 4,
      address: '127.0.0.1',
      port: socket.address().port,
    };
    const write = (bytes: Uint8Array): Promise<void> =>
      new Promise((resolve, reject) => {
        socket.send(bytes, port, '127.0.0.1', (err) => {
          if (err) reject(err);
          else resolve();
        });
      });
    return new TurnConnection({
      transport,
      local,
      inbox,
      ended: new Promise(() => undefined),
      write,
      end,
    });
  }
  const socket = connect(port, '127.0.0.1');
  t.after(() => socket.destroy());
  socket.on('error', () => undefined);
  const ended = once(socket, 'close').then(() => undefined);
  await once(socket, 'connect');
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    const rest = frameStream(Buffer.concat([pending, chunk]), (frame) => {
      inbox.push(frame);
    });
    if (rest === 'garbage')
      socket.destroy(new Error('the server sent neither STUN nor ChannelData'));
    else pending = rest;
  });
  const local: TransportAddress = { family: 4, address: '127.0.0.1', port: socket.localPort ?? 0 };
  const write = (bytes: Uint8Array): Promise<void> =>
    new Promise((resolve, reject) => {
      socket.write(bytes, (err) => {
        if (err) reject(err);
        else resolve();
      });
    });
  return new TurnConnection({ transport, local, inbox, ended, write, end: () => socket.destroy() });
}
