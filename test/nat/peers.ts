// Loopback peers for the NAT detection tests: a silent server that only records what reaches it,
// a scripted server that answers everything from its one socket, and pbxgate's own RFC 5780 server.

import { createSocket, type RemoteInfo } from 'node:dgram';
import { once } from 'node:events';
import type { TestContext } from 'node:test';
import type { StunEndpoint } from '../../src/nat/server-list.ts';
import { parseListenUrl, type ListenUrl } from '../../src/net/listen-url.ts';
import {
  transportAddressOf,
  writeAddress,
  writeXorAddress,
} from '../../src/stun/attributes/address.ts';
import { writeErrorCode } from '../../src/stun/attributes/error-code.ts';
import { Attr, StunClass, StunMethod } from '../../src/stun/constants.ts';
import { type AttributeValue, encodeStunMessage } from '../../src/stun/encode.ts';
import { stunType } from '../../src/stun/header.ts';
import { decodeStunMessage, findAttribute } from '../../src/stun/message.ts';
import { startStunServer } from '../support/stun-server.ts';

export interface SilentServer {
  readonly endpoint: StunEndpoint;
  /** performance.now() of every datagram received. */
  readonly arrivals: number[];
}

/** A UDP socket that never answers (a dead server whose host still exists). */
export async function silentServer(
  t: TestContext,
  address = '127.0.0.1',
  port = 0,
): Promise<SilentServer> {
  const socket = createSocket('udp4');
  t.after(() => {
    socket.close();
  });
  const arrivals: number[] = [];
  socket.on('message', () => arrivals.push(performance.now()));
  socket.bind(port, address);
  await once(socket, 'listening');
  return { endpoint: { address, port: socket.address().port }, arrivals };
}

export type ScriptedAnswer = 'success' | 'error-420';

/**
 * A server on one socket that names `other` as its OTHER-ADDRESS but answers everything itself,
 * CHANGE-REQUEST included: `withChange` says how it answers a request that asks for a change.
 */
export async function scriptedServer(
  t: TestContext,
  other: StunEndpoint,
  withChange: ScriptedAnswer,
): Promise<StunEndpoint> {
  const socket = createSocket('udp4');
  t.after(() => {
    socket.close();
  });
  socket.on('message', (datagram: Buffer, from: RemoteInfo) => {
    const decoded = decodeStunMessage(datagram);
    if (decoded.kind !== 'ok' || decoded.value.class !== StunClass.request) return;
    const { transactionId } = decoded.value;
    const asksChange = findAttribute(decoded.value, Attr.changeRequest) !== undefined;
    const refuse = asksChange && withChange === 'error-420';
    const attributes: AttributeValue[] = refuse
      ? [{ type: Attr.errorCode, value: writeErrorCode(420) }]
      : [
          {
            type: Attr.xorMappedAddress,
            value: writeXorAddress(transportAddressOf(from.address, from.port), transactionId),
          },
          {
            type: Attr.otherAddress,
            value: writeAddress(transportAddressOf(other.address, other.port)),
          },
        ];
    const type = stunType(StunMethod.binding, refuse ? StunClass.error : StunClass.success);
    socket.send(encodeStunMessage({ type, transactionId, attributes }), from.port, from.address);
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return { address: '127.0.0.1', port: socket.address().port };
}

function listen(text: string): ListenUrl {
  const url = parseListenUrl(text);
  if ('error' in url) throw new Error(url.error);
  return url;
}

/**
 * pbxgate's STUN server on 127.0.0.1:port, with the RFC 5780 alternate 127.0.0.2:port+1 unless
 * `alternate` is false. The port is found by binding a silent probe first.
 */
export async function pbxgateStun(t: TestContext, alternate = true): Promise<StunEndpoint> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    try {
      await startStunServer(t, {
        listen: [listen(`udp://127.0.0.1:${port}`)],
        ...(alternate ? { alternate: { address: '127.0.0.2', port: port + 1 } } : {}),
      });
      return { address: '127.0.0.1', port };
    } catch {
      // taken: try another
    }
  }
  throw new Error('no free port pair for the STUN server');
}
