// Real-socket peers for the STUN client tests: scripted UDP and TCP servers on 127.0.0.1, port 0.

import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { type Server, type Socket, createServer } from 'node:net';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { readBindingResult } from '../../src/stun/binding-result.ts';
import { type StunResponse, StunUdpClient } from '../../src/stun/client.ts';
import { Attr, StunClass, StunMethod } from '../../src/stun/constants.ts';
import { encodeStunMessage } from '../../src/stun/encode.ts';
import { frameStunMessage } from '../../src/stun/framing.ts';
import { stunType } from '../../src/stun/header.ts';
import { decodeStunMessage } from '../../src/stun/message.ts';
import {
  type TransportAddress,
  transportAddressOf,
  writeXorAddress,
} from '../../src/stun/attributes/address.ts';

/** A Binding success for `request` naming `mapped`, built by hand (not by the handler under test). */
export function bindingSuccess(request: Uint8Array, mapped: TransportAddress): Buffer | undefined {
  const decoded = decodeStunMessage(request);
  if (decoded.kind !== 'ok') return undefined;
  const { transactionId } = decoded.value;
  return encodeStunMessage({
    type: stunType(StunMethod.binding, StunClass.success),
    transactionId,
    attributes: [{ type: Attr.xorMappedAddress, value: writeXorAddress(mapped, transactionId) }],
  });
}

export interface UdpServer {
  readonly socket: UdpSocket;
  readonly target: { readonly address: string; readonly port: number };
  readonly copies: Buffer[];
}

/** A UDP socket that records every datagram and answers the ones `shouldAnswer` picks. */
export async function udpServer(
  t: TestContext,
  shouldAnswer: (copy: number) => boolean,
): Promise<UdpServer> {
  const socket = createSocket('udp4');
  t.after(() => {
    socket.close();
  });
  const copies: Buffer[] = [];
  socket.on('message', (datagram: Buffer, from: RemoteInfo) => {
    copies.push(datagram);
    if (!shouldAnswer(copies.length)) return;
    const answer = bindingSuccess(datagram, transportAddressOf(from.address, from.port));
    if (answer) socket.send(answer, from.port, from.address);
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return { socket, target: { address: '127.0.0.1', port: socket.address().port }, copies };
}

export async function udpClient(
  t: TestContext,
): Promise<{ client: StunUdpClient; local: TransportAddress }> {
  const client = new StunUdpClient(4);
  t.after(() => {
    client.close();
  });
  const local = await client.bind('127.0.0.1');
  return { client, local };
}

export function mappedOf(response: StunResponse): TransportAddress | undefined {
  const result = readBindingResult(response.message);
  return typeof result === 'string' ? undefined : result.mapped;
}

/** A TCP server whose connections are all destroyed when the test ends. */
export async function tcpServer(
  t: TestContext,
  onConnection: (socket: Socket) => void,
): Promise<Server> {
  const connections = new Set<Socket>();
  const server = createServer((socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    socket.on('error', () => undefined);
    onConnection(socket);
    // Read (and drop) whatever no listener wants, so the peer's FIN is seen and 'close' follows.
    socket.resume();
  });
  t.after(() => {
    for (const socket of connections) socket.destroy();
    server.close();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

export function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

/** Reads one framed STUN message from the connection, then calls `reply` with it. */
export function onRequest(socket: Socket, reply: (request: Buffer) => void): void {
  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    const frame = frameStunMessage(buffered);
    if (frame.kind === 'ok') reply(buffered.subarray(0, frame.size));
  });
}

export async function writeByteByByte(socket: Socket, bytes: Buffer): Promise<void> {
  socket.setNoDelay(true);
  for (const byte of bytes) {
    if (socket.destroyed) return;
    socket.write(Buffer.of(byte));
    await sleep(1);
  }
}
