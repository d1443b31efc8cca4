// RFC 6062 TCP allocations, the requests: the relays of a TCP Allocate (a listening socket per
// family), Connect (to a peer the policy allows: 403, 446, 447), ConnectionAttempt for a permitted
// peer connecting in, and ConnectionBind on a new client connection, which then carries the peer's
// bytes raw. ConnectionBind has no allocation on its own 5-tuple: it is authenticated against the
// allocation its CONNECTION-ID names (the same user, the nonce of the control connection).

import { randomFillSync } from 'node:crypto';
import { Attr, StunClass, StunMethod } from '../stun/constants.ts';
import { type AttributeValue, encodeStunMessage } from '../stun/encode.ts';
import { stunType } from '../stun/header.ts';
import { type StunMessage, attributeValue, findAttribute } from '../stun/message.ts';
import { type TransportAddress, writeXorAddress } from '../stun/attributes/address.ts';
import type { Allocation, RelayHandle } from './allocation.ts';
import { readConnectionId, writeConnectionId } from './attributes.ts';
import { authenticate } from './auth.ts';
import { type AllocationRegistry, type Entry, clientKey, linkKey } from './registry.ts';
import { type Signing, errorReply, successReply, unknownAttributesReply } from './reply.ts';
import { type Refusal, readPeers, unknownAttributes } from './requests.ts';
import { MAX_CONNECTIONS_PER_ALLOCATION, type TcpConnections } from './tcp-connections.ts';
import type { InboundPeer, TcpRelayOpener } from './tcp-relay.ts';
import type { TurnLink, TurnServiceDeps } from './types.ts';

/** RFC 6062 §5.2: how long a Connect waits for the peer before 447. */
export const CONNECT_TIMEOUT_MS = 15_000;

/** What control.ts answers with (counted by method and code). */
export interface Answering {
  readonly answer: (
    link: TurnLink,
    request: StunMessage,
    bytes: Uint8Array,
    code: number | 'ok',
  ) => void;
  readonly refuse: (
    link: TurnLink,
    request: StunMessage,
    refusal: Refusal,
    signing: Signing,
  ) => void;
  readonly succeed: (
    link: TurnLink,
    request: StunMessage,
    allocation: Allocation,
    attributes: AttributeValue[],
    signing: Signing,
  ) => void;
}

export interface TcpControl {
  /** The relays of a TCP allocation, one per family; empty when no port is free (508). */
  openRelays(key: string, families: readonly (4 | 6)[]): Promise<RelayHandle[]>;
  connect(link: TurnLink, request: StunMessage, entry: Entry, signing: Signing): Promise<void>;
  connectionBind(link: TurnLink, request: StunMessage): void;
}

const badRequest: Refusal = { kind: 'error', code: 400 };

export function createTcpControl(
  deps: TurnServiceDeps,
  opener: TcpRelayOpener,
  registry: AllocationRegistry,
  connections: TcpConnections,
  now: () => number,
  answering: Answering,
): TcpControl {
  const { reply } = deps.auth;
  const { answer, refuse, succeed } = answering;
  /** Connects of each allocation waiting for their peer. */
  const connecting = new Map<string, number>();

  /** RFC 6062 §5.3: a peer connected to the relayed address of the allocation `key`. */
  const inbound =
    (key: string): InboundPeer =>
    (socket, peer) => {
      const entry = registry.live(key, now());
      if (
        entry === undefined ||
        !entry.allocation.isPermitted(peer.address, now()) ||
        connections.countFor(key) >= MAX_CONNECTIONS_PER_ALLOCATION
      ) {
        socket.destroy();
        return;
      }
      const id = connections.add(key, peer, socket);
      const transactionId = randomFillSync(new Uint8Array(12));
      entry.link.send(
        encodeStunMessage({
          type: stunType(StunMethod.connectionAttempt, StunClass.indication),
          transactionId,
          attributes: [
            { type: Attr.xorPeerAddress, value: writeXorAddress(peer, transactionId) },
            { type: Attr.connectionId, value: writeConnectionId(id) },
          ],
        }),
      );
    };

  /** RFC 6062 §5.2: the peer of a Connect and the relay to connect from, or the refusal. */
  const connectTarget = (
    request: StunMessage,
    allocation: Allocation,
  ): { peer: TransportAddress; connect: NonNullable<RelayHandle['connect']> } | Refusal => {
    if (allocation.protocol !== 'tcp') return badRequest;
    const families = allocation.relays.map((relay) => relay.address.family);
    const peers = readPeers(request, deps.policy, families);
    if (!Array.isArray(peers)) return peers;
    const [peer] = peers;
    const connect = peer === undefined ? undefined : allocation.relayFor(peer.family)?.connect;
    if (peer === undefined || peers.length > 1 || connect === undefined) return badRequest;
    if (connections.has(allocation.key, peer)) return { kind: 'error', code: 446 };
    const busy = connections.countFor(allocation.key) + (connecting.get(allocation.key) ?? 0);
    if (busy >= MAX_CONNECTIONS_PER_ALLOCATION) {
      return { kind: 'error', code: 508 };
    }
    return { peer, connect };
  };

  return {
    async openRelays(key, families) {
      const relays: RelayHandle[] = [];
      for (const family of families) {
        const listener = await opener.open(family, inbound(key));
        if (listener === undefined) break;
        relays.push({
          address: listener.address,
          send: () => undefined, // RFC 6062 §5: no Send or ChannelData on a TCP allocation
          connect: (peer, timeoutMs) => listener.connect(peer, timeoutMs),
          close() {
            listener.close();
            connections.closeAllocation(key);
          },
        });
      }
      return relays;
    },

    async connect(link, request, entry, signing) {
      const { allocation } = entry;
      const target = connectTarget(request, allocation);
      if ('code' in target) {
        refuse(link, request, target, signing);
        return;
      }
      const { peer, connect } = target;
      // Connects still in flight count against the allocation's connections (no fan-out).
      connecting.set(allocation.key, (connecting.get(allocation.key) ?? 0) + 1);
      const socket = await connect(peer, CONNECT_TIMEOUT_MS).finally(() => {
        const left = (connecting.get(allocation.key) ?? 1) - 1;
        if (left > 0) connecting.set(allocation.key, left);
        else connecting.delete(allocation.key);
      });
      if (socket === 'failed') {
        refuse(link, request, { kind: 'error', code: 447 }, signing);
        return;
      }
      // The allocation may have ended (or a Connect to the same peer won) while connecting.
      const still = registry.live(allocation.key, now()) === entry;
      if (!still || connections.has(allocation.key, peer)) {
        socket.destroy();
        if (still) refuse(link, request, { kind: 'error', code: 446 }, signing);
        return;
      }
      const id = connections.add(allocation.key, peer, socket);
      succeed(
        link,
        request,
        allocation,
        [{ type: Attr.connectionId, value: writeConnectionId(id) }],
        signing,
      );
    },

    connectionBind(link, request) {
      // RFC 6062 §5.4: only on a new TCP/TLS connection that carries nothing else.
      const raw = findAttribute(request, Attr.connectionId);
      const id = raw === undefined ? undefined : readConnectionId(attributeValue(request, raw));
      const pending = typeof id === 'number' ? connections.pending(id) : undefined;
      const entry = pending === undefined ? undefined : registry.live(pending.key, now());
      if (
        link.takeOver === undefined ||
        registry.get(linkKey(link)) !== undefined ||
        pending === undefined ||
        entry === undefined
      ) {
        // Guessing CONNECTION-IDs (to take over someone's peer connection) is an attack.
        if (pending === undefined)
          deps.suspicious(link.client.address, 'turn.unknown-connection-id');
        answer(link, request, errorReply(request, 400, reply), 400);
        return;
      }
      const auth = authenticate(
        request,
        deps.auth,
        clientKey(entry.link),
        now(),
        entry.allocation.username,
      );
      if (auth.kind === 'refused') {
        if (auth.suspicious !== undefined) deps.suspicious(link.client.address, auth.suspicious);
        answer(link, request, auth.bytes, auth.code);
        return;
      }
      const unknown = unknownAttributes(request);
      if (unknown.length > 0) {
        answer(link, request, unknownAttributesReply(request, unknown, reply, auth.signing), 420);
        return;
      }
      answer(link, request, successReply(request, [], reply, auth.signing), 'ok');
      const { socket, rest } = link.takeOver();
      connections.bind(pending.id, socket, rest);
    },
  };
}
