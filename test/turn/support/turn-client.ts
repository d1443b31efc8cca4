// A small hand-written TURN client for the socket tests: pbxgate's STUN codec for the bytes, its
// own auth dance (401, then signed; 438, then once more), over a turn-connection.ts transport.

import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { Attr, StunClass, StunMethod } from '../../../src/stun/constants.ts';
import { type AttributeValue, encodeStunMessage } from '../../../src/stun/encode.ts';
import { stunClassOf, stunType } from '../../../src/stun/header.ts';
import { longTermKey } from '../../../src/stun/integrity.ts';
import { type StunMessage, decodeStunMessage } from '../../../src/stun/message.ts';
import { type TransportAddress, writeXorAddress } from '../../../src/stun/attributes/address.ts';
import { writeText } from '../../../src/stun/attributes/text.ts';
import { writeUint32 } from '../../../src/stun/attributes/scalar.ts';
import {
  TransportProtocol,
  writeChannelNumber,
  writeConnectionId,
  writeRequestedTransport,
} from '../../../src/turn/attributes.ts';
import { errorCodeOf, textOf, xorAddressOf } from './replies.ts';
import { type Transport, type TurnConnection, connectTurn } from './turn-connection.ts';

export type { Transport } from './turn-connection.ts';

export const REALM = 'test.realm';
export const WAIT_MS = 5000;

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/** A decoded response with its raw bytes; `code` is 'ok' for a success. */
export interface Reply {
  readonly bytes: Buffer;
  readonly message: StunMessage;
  readonly code: number | 'ok';
}

export interface BuildOptions {
  readonly cls?: StunClass;
  /** Sign with these credentials and the client's current nonce (default: the client's own). */
  readonly auth?: Credentials | false;
  readonly fingerprint?: boolean;
  readonly transactionId?: Uint8Array;
  /** Overrides the nonce sent (e.g. an old one). */
  readonly nonce?: string;
}

export const requestedUdp: AttributeValue = {
  type: Attr.requestedTransport,
  value: writeRequestedTransport(TransportProtocol.udp),
};

export const requestedTcp: AttributeValue = {
  type: Attr.requestedTransport,
  value: writeRequestedTransport(TransportProtocol.tcp),
};

export function lifetimeAttr(seconds: number): AttributeValue {
  return { type: Attr.lifetime, value: writeUint32(seconds) };
}

/** A TURN client with credentials: builds, signs and sends requests; remembers the server's nonce. */
export class TurnClient {
  readonly connection: TurnConnection;
  credentials: Credentials;
  nonce: string | undefined;

  constructor(connection: TurnConnection, credentials: Credentials) {
    this.connection = connection;
    this.credentials = credentials;
  }

  get local(): TransportAddress {
    return this.connection.local;
  }

  key(credentials: Credentials = this.credentials): Buffer {
    return longTermKey(credentials.username, REALM, credentials.password);
  }

  build(method: number, attributes: readonly AttributeValue[], options: BuildOptions = {}): Buffer {
    const transactionId = options.transactionId ?? randomBytes(12);
    const auth = options.auth ?? this.credentials;
    const all = [...attributes];
    const nonce = options.nonce ?? this.nonce;
    if (auth !== false && nonce !== undefined) {
      all.push(
        { type: Attr.username, value: writeText(auth.username) },
        { type: Attr.realm, value: writeText(REALM) },
        { type: Attr.nonce, value: writeText(nonce) },
      );
    }
    return encodeStunMessage({
      type: stunType(method, options.cls ?? StunClass.request),
      transactionId,
      attributes: all,
      ...(auth !== false && nonce !== undefined
        ? { integrity: { key: this.key(auth), algorithm: 'sha1' as const } }
        : {}),
      fingerprint: options.fingerprint === true,
    });
  }

  /** Sends a request and waits for the response with its transaction id. */
  async request(bytes: Buffer, timeoutMs = WAIT_MS): Promise<Reply> {
    const id = bytes.subarray(8, 20);
    await this.connection.send(bytes);
    const frame = await this.connection.inbox.next((frame) => isResponseTo(frame, id), timeoutMs);
    const decoded = decodeStunMessage(frame);
    if (decoded.kind !== 'ok') throw new Error(`undecodable response: ${decoded.kind}`);
    const message = decoded.value;
    const code = message.class === StunClass.success ? 'ok' : (errorCodeOf(message) ?? 0);
    return { bytes: frame, message, code };
  }

  /**
   * A signed request, after the 401 challenge when no nonce is known yet; a 438 (stale nonce) is
   * answered the way clients do: once more with the fresh nonce.
   */
  async call(
    method: number,
    attributes: readonly AttributeValue[],
    options: BuildOptions = {},
  ): Promise<Reply> {
    if (this.nonce === undefined) {
      const challenge = await this.request(this.build(method, attributes, { auth: false }));
      if (challenge.code !== 401) return challenge;
      this.learn(challenge);
    }
    let reply = await this.request(this.build(method, attributes, options));
    if (reply.code === 438) {
      this.learn(reply);
      reply = await this.request(this.build(method, attributes, options));
    }
    return reply;
  }

  /** Takes the NONCE of a 401/438. */
  learn(reply: Reply): void {
    const nonce = textOf(reply.message, Attr.nonce);
    if (nonce === undefined) throw new Error(`no NONCE in a ${reply.code}`);
    this.nonce = nonce;
  }

  allocate(extra: readonly AttributeValue[] = [], options: BuildOptions = {}): Promise<Reply> {
    return this.call(StunMethod.allocate, [requestedUdp, ...extra], options);
  }

  /** RFC 6062: an allocation that relays TCP connections. */
  allocateTcp(extra: readonly AttributeValue[] = [], options: BuildOptions = {}): Promise<Reply> {
    return this.call(StunMethod.allocate, [requestedTcp, ...extra], options);
  }

  /** RFC 6062 Connect: the server connects to `peer` (the answer carries a CONNECTION-ID). */
  connectPeer(peer: TransportAddress): Promise<Reply> {
    const transactionId = randomBytes(12);
    return this.call(
      StunMethod.connect,
      [{ type: Attr.xorPeerAddress, value: writeXorAddress(peer, transactionId) }],
      { transactionId },
    );
  }

  /** RFC 6062 ConnectionBind for a new data connection, signed with this client's nonce. */
  connectionBind(id: number, options: BuildOptions = {}): Buffer {
    return this.build(
      StunMethod.connectionBind,
      [{ type: Attr.connectionId, value: writeConnectionId(id) }],
      options,
    );
  }

  refresh(seconds?: number, options: BuildOptions = {}): Promise<Reply> {
    return this.call(
      StunMethod.refresh,
      seconds === undefined ? [] : [lifetimeAttr(seconds)],
      options,
    );
  }

  createPermission(peers: readonly TransportAddress[], options: BuildOptions = {}): Promise<Reply> {
    const transactionId = options.transactionId ?? randomBytes(12);
    return this.call(
      StunMethod.createPermission,
      peers.map((peer) => ({
        type: Attr.xorPeerAddress,
        value: writeXorAddress(peer, transactionId),
      })),
      { ...options, transactionId },
    );
  }

  channelBind(channel: number, peer: TransportAddress): Promise<Reply> {
    const transactionId = randomBytes(12);
    return this.call(
      StunMethod.channelBind,
      [
        { type: Attr.channelNumber, value: writeChannelNumber(channel) },
        { type: Attr.xorPeerAddress, value: writeXorAddress(peer, transactionId) },
      ],
      { transactionId },
    );
  }

  /** A Send indication (never signed, RFC 8656 §11.1). */
  sendIndication(peer: TransportAddress, data: Uint8Array): Promise<void> {
    const transactionId = randomBytes(12);
    return this.connection.send(
      encodeStunMessage({
        type: stunType(StunMethod.send, StunClass.indication),
        transactionId,
        attributes: [
          { type: Attr.xorPeerAddress, value: writeXorAddress(peer, transactionId) },
          { type: Attr.data, value: data },
        ],
      }),
    );
  }

  /** ChannelData, padded to 4 bytes over TCP (RFC 8656 §12.5). */
  channelData(channel: number, data: Uint8Array): Promise<void> {
    const size = 4 + data.length;
    const out = Buffer.alloc(this.connection.transport === 'tcp' ? (size + 3) & ~3 : size);
    out.writeUInt16BE(channel, 0);
    out.writeUInt16BE(data.length, 2);
    out.set(data, 4);
    return this.connection.send(out);
  }
}

function isResponseTo(frame: Buffer, id: Uint8Array): boolean {
  if (frame.length < 20 || (frame[0] ?? 0) >> 6 !== 0) return false;
  const cls = stunClassOf(frame.readUInt16BE(0));
  return (cls === StunClass.success || cls === StunClass.error) && frame.subarray(8, 20).equals(id);
}

export async function turnClient(
  t: TestContext,
  transport: Transport,
  port: number,
  credentials: Credentials,
): Promise<TurnClient> {
  return new TurnClient(await connectTurn(t, transport, port), credentials);
}

/** Allocates with the defaults; the relayed transport address, or throws with the reply's code. */
export async function allocated(client: TurnClient): Promise<TransportAddress> {
  const reply = await client.allocate();
  const relayed = xorAddressOf(reply.message, Attr.xorRelayedAddress);
  if (reply.code !== 'ok' || relayed === undefined) throw new Error(`Allocate: ${reply.code}`);
  return relayed;
}
