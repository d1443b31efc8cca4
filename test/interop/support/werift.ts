// werift-ice (npm, MIT, shinyoshiaki/werift-webrtc) as an independent TURN client and ICE agent
// for interop tests: shared/reference/turn-stun.md §9, coturn-recipes.md §10. Everything that
// touches werift's objects lives here and in werift-ice-agent.ts, behind narrow types; the tests
// see plain values.
//
// Two werift-ice 0.2.3 habits this file works around, both about leftovers, not the protocol:
// - TurnProtocol's refresh loop sleeps 5/6 of the allocation lifetime (500 s for the default
//   10 minutes) on a referenced timer that close() does not clear, so a test process would wait
//   for it long after the test is over;
// - a TURN client whose Allocate fails never closes its socket (createTurnClient keeps no handle
//   to it, and Connection falls back from UDP to TCP without closing the UDP one).
// So werift runs inside an AsyncLocalStorage scope, the timers and sockets it creates there are
// remembered, and once its objects are closed they are unref'd (never closed or cleared: werift
// keeps its own behaviour, it just cannot hold the test process open any more).

import { AsyncLocalStorage, createHook } from 'node:async_hooks';
import { Socket as TcpSocket } from 'node:net';
import type { TestContext } from 'node:test';
import type * as WeriftIce from 'werift-ice';
import type * as WeriftTransports from 'werift-ice/lib/common/src/transport.js';
import type * as WeriftExceptions from 'werift-ice/lib/ice/src/exceptions.js';
import type { Address } from './echo-peer.ts';

export type { Address } from './echo-peer.ts';

export type TurnTransport = 'udp' | 'tcp';

export interface Werift {
  readonly ice: typeof WeriftIce;
  readonly transports: typeof WeriftTransports;
  readonly exceptions: typeof WeriftExceptions;
}

/** werift-ice's modules, or why they cannot be imported. */
export async function loadWerift(): Promise<Werift | Error> {
  try {
    const [ice, transports, exceptions] = await Promise.all([
      import('werift-ice'),
      import('werift-ice/lib/common/src/transport.js'),
      import('werift-ice/lib/ice/src/exceptions.js'),
    ]);
    return { ice, transports, exceptions };
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

// leftovers

interface Unrefable {
  unref(): unknown;
}

function isUnrefable(value: unknown): value is Unrefable {
  return (
    typeof value === 'object' && value !== null && typeof Reflect.get(value, 'unref') === 'function'
  );
}

const weriftScope = new AsyncLocalStorage<true>();
const leftovers = new Set<Unrefable>();
const LEFTOVER_TYPES = new Set(['Timeout', 'UDPWRAP', 'TCPWRAP', 'TCPCONNECTWRAP']);
const leftoverHook = createHook({
  init(_asyncId, type, _triggerAsyncId, resource) {
    if (weriftScope.getStore() === true && LEFTOVER_TYPES.has(type) && isUnrefable(resource)) {
      leftovers.add(resource);
    }
  },
});

/** Runs werift code so that the timers and sockets it creates, now or later, are remembered. */
export function inWerift<T>(fn: () => Promise<T>): Promise<T> {
  leftoverHook.enable();
  return weriftScope.run(true, fn);
}

/** After werift's objects are closed: nothing werift created may keep the process alive. */
export function releaseLeftovers(): void {
  for (const resource of leftovers) resource.unref();
  leftovers.clear();
}

// TURN client

export interface TurnClientOptions {
  readonly server: Address;
  readonly username: string;
  readonly password: string;
  readonly transport: TurnTransport;
}

/** A STUN message on the client's wire, as werift encodes or parses it. */
export interface StunSeen {
  readonly direction: 'sent' | 'received';
  /** performance.now() when werift sent or parsed it. */
  readonly atMs: number;
  /** werift's names: ALLOCATE, CHANNEL_BIND…; REQUEST, RESPONSE, ERROR, INDICATION. */
  readonly method: string;
  readonly class: string;
  readonly transactionId: string;
  readonly attributes: readonly string[];
  readonly errorCode: number | undefined;
}

export interface TurnClientTap {
  /** Every STUN message werift sends to or gets from the server (not ChannelData). */
  readonly onStun: (message: StunSeen) => void;
}

export interface WeriftTurnClient {
  /** XOR-RELAYED-ADDRESS of the Allocate success response. */
  readonly relayed: Address;
  /** XOR-MAPPED-ADDRESS of the Allocate success response. */
  readonly mapped: Address;
  /** The client's own socket (UDP socket, or TCP connection's local end). */
  readonly local: Address;
  /** CreatePermission (werift's getPermission; rejects on an error response). */
  createPermission(peer: Address): Promise<void>;
  /** ChannelBind (werift's getChannel; rejects on an error response): the channel number. */
  bindChannel(peer: Address): Promise<number>;
  /** werift's sendData: ChannelData once a channel is bound (else CreatePermission + Send). */
  send(data: Buffer, peer: Address): Promise<void>;
  /** A Send indication built and sent by werift's own STUN code, whatever channels exist. */
  sendIndication(data: Buffer, peer: Address): Promise<void>;
  /** Data from peers: ChannelData or Data indications, as werift decodes them. */
  onData(listener: (data: Buffer, from: Address) => void): void;
}

/** The local end of werift's TCP transport (its getter returns {}): `stream.client`, a net.Socket. */
function tcpLocalAddress(transport: object): Address | undefined {
  const stream: unknown = Reflect.get(transport, 'stream');
  if (typeof stream !== 'object' || stream === null) return undefined;
  const client: unknown = Reflect.get(stream, 'client');
  if (!(client instanceof TcpSocket)) return undefined;
  const { localAddress, localPort } = client;
  return localAddress === undefined || localPort === undefined
    ? undefined
    : [localAddress, localPort];
}

function stunSeen(
  werift: Werift,
  direction: StunSeen['direction'],
  message: WeriftIce.Message,
): StunSeen {
  const errorCode: unknown = message.getAttributeValue('ERROR-CODE');
  return {
    direction,
    atMs: performance.now(),
    method: werift.ice.methods[message.messageMethod],
    class: werift.ice.classes[message.messageClass],
    transactionId: message.transactionIdHex,
    attributes: message.attributesKeys,
    errorCode:
      Array.isArray(errorCode) && typeof errorCode[0] === 'number' ? errorCode[0] : undefined,
  };
}

/**
 * Taps werift's TurnProtocol: sendStun (every request and indication it sends, retransmissions
 * included) and its private handleSTUNMessage (every STUN message it gets, after TCP framing).
 */
function tapTurn(werift: Werift, turn: WeriftIce.TurnProtocol, tap: TurnClientTap): void {
  const sendStun = turn.sendStun.bind(turn);
  turn.sendStun = (message, addr) => {
    tap.onStun(stunSeen(werift, 'sent', message));
    return sendStun(message, addr);
  };
  const handle: unknown = Reflect.get(turn, 'handleSTUNMessage');
  if (typeof handle !== 'function')
    throw new Error('werift-ice: no TurnProtocol.handleSTUNMessage');
  Reflect.set(turn, 'handleSTUNMessage', (data: unknown, addr: unknown): unknown => {
    const message = Buffer.isBuffer(data) ? werift.ice.parseMessage(data) : undefined;
    if (message) tap.onStun(stunSeen(werift, 'received', message));
    const result: unknown = Reflect.apply(handle, turn, [data, addr]);
    return result;
  });
}

/** What a client can tell of an answer: class, error code, REALM, NONCE, XOR-RELAYED-ADDRESS. */
export function stunShape(m: StunSeen): string {
  const has = (name: string): string => (m.attributes.includes(name) ? `+${name}` : `-${name}`);
  const attrs = ['REALM', 'NONCE', 'XOR-RELAYED-ADDRESS'].map(has);
  return [m.class, m.errorCode ?? '', ...attrs].join(' ');
}

/** One line per message, for assertion messages. */
export function formatWire(messages: readonly StunSeen[]): string {
  return messages
    .map(
      (m) =>
        `${m.direction} ${m.method} ${m.class} ${m.errorCode ?? ''} ${m.transactionId} [${m.attributes.join(',')}]`,
    )
    .join('\n');
}

function isAddress(value: unknown): value is Address {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    typeof value[0] === 'string' &&
    typeof value[1] === 'number'
  );
}

/**
 * werift's createTurnClient, step by step so the socket is ours to close: werift's own UDP
 * (bound to 127.0.0.1) or TCP transport, a TurnProtocol on it, connectionMade() (the Allocate,
 * with werift's 401 retry). Rejects like createTurnClient when the allocation fails. Closed in
 * t.after (TurnProtocol.close(): stops its refresh loop, closes the socket; no Refresh 0).
 */
export async function openTurnClient(
  t: TestContext,
  werift: Werift,
  options: TurnClientOptions,
  tap?: TurnClientTap,
): Promise<WeriftTurnClient> {
  const { UdpTransport, TcpTransport } = werift.transports;
  const transport: WeriftTransports.UdpTransport | WeriftTransports.TcpTransport = await inWerift(
    async () =>
      options.transport === 'udp'
        ? await UdpTransport.init('udp4', { interfaceAddresses: { udp4: '127.0.0.1' } })
        : await TcpTransport.init(options.server),
  );
  const local: Address | undefined =
    transport.type === 'udp' ? [transport.host, transport.port] : tcpLocalAddress(transport);
  // werift's own default lifetime (600 s); pbxgate grants what its config says.
  const turn = new werift.ice.TurnProtocol(
    options.server,
    options.username,
    options.password,
    600,
    transport,
  );
  t.after(async () => {
    await turn.close();
    releaseLeftovers();
  });
  if (tap) tapTurn(werift, turn, tap);
  await inWerift(() => turn.connectionMade());
  const relayed: unknown = turn.relayedAddress;
  const mapped: unknown = turn.mappedAddress;
  if (!isAddress(relayed) || !isAddress(mapped) || local === undefined) {
    throw new Error(
      `werift allocated without a usable address: relayed ${String(relayed)}, mapped ${String(mapped)}, local ${String(local)}`,
    );
  }
  const { Message, methods, classes } = werift.ice;
  return {
    relayed,
    mapped,
    local,
    createPermission: (peer) => inWerift(() => turn.getPermission(peer)),
    bindChannel: async (peer) => (await inWerift(() => turn.getChannel(peer))).number,
    send: (data, peer) => inWerift(() => turn.sendData(data, peer)),
    sendIndication: (data, peer) =>
      inWerift(() =>
        turn.sendStun(
          new Message(methods.SEND, classes.INDICATION)
            .setAttribute('XOR-PEER-ADDRESS', peer)
            .setAttribute('DATA', data),
          options.server,
        ),
      ),
    onData(listener) {
      turn.onData.subscribe((data, from) => {
        listener(data, [from[0], from[1]]);
      });
    },
  };
}

/**
 * How a werift request failed: `error N` (TransactionFailed: an error response it accepted),
 * `timeout` (TransactionTimeout: no response it accepted before its retransmissions ran out),
 * else the error's text.
 */
export function describeFailure(werift: Werift, error: unknown): string {
  const { TransactionFailed, TransactionTimeout } = werift.exceptions;
  if (error instanceof TransactionFailed) {
    const value: unknown = error.response.getAttributeValue('ERROR-CODE');
    return Array.isArray(value) && typeof value[0] === 'number' ? `error ${value[0]}` : 'error ?';
  }
  if (error instanceof TransactionTimeout) return 'timeout';
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
