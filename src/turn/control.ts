// The TURN requests (RFC 8656 §7-§11): Allocate, Refresh, CreatePermission and ChannelBind, each
// authenticated first, answered identically when retransmitted, refused with the RFC's code; the
// RFC 6062 requests (Connect, ConnectionBind) go on to tcp-control.ts.

import { Attr, StunMethod } from '../stun/constants.ts';
import type { AttributeValue } from '../stun/encode.ts';
import type { StunMessage } from '../stun/message.ts';
import { writeUint32 } from '../stun/attributes/scalar.ts';
import type { Logger } from '../observe/log.ts';
import { Allocation, type RelayHandle } from './allocation.ts';
import { openUdpRelays } from './relay.ts';
import { authenticate } from './auth.ts';
import { type AllocationRegistry, type Entry, clientKey, linkKey } from './registry.ts';
import {
  type Signing,
  allocatedAttributes,
  errorReply,
  successReply,
  unknownAttributesReply,
} from './reply.ts';
import {
  type AllocateAsk,
  type Refusal,
  grantedSeconds,
  lifetimeOf,
  readAllocate,
  requestedFamily,
  readChannel,
  readPeers,
  unknownAttributes,
} from './requests.ts';
import type { TcpConnections } from './tcp-connections.ts';
import { createTcpControl } from './tcp-control.ts';
import type { Traffic } from './traffic.ts';
import type { TurnLink, TurnServiceDeps } from './types.ts';

const METHOD_NAMES: Readonly<Record<number, string>> = {
  [StunMethod.allocate]: 'allocate',
  [StunMethod.refresh]: 'refresh',
  [StunMethod.createPermission]: 'create-permission',
  [StunMethod.channelBind]: 'channel-bind',
  [StunMethod.connect]: 'connect',
  [StunMethod.connectionBind]: 'connection-bind',
};

export interface Control {
  allocate(link: TurnLink, request: StunMessage): Promise<void>;
  /** Refresh, CreatePermission, ChannelBind and (RFC 6062) Connect, on the link's allocation. */
  onAllocation(link: TurnLink, request: StunMessage): void;
  /** RFC 6062 ConnectionBind, on a connection of its own. */
  connectionBind(link: TurnLink, request: StunMessage): void;
}

interface Authorized {
  readonly key: string;
  readonly entry: Entry | undefined;
  readonly username: string;
  readonly user: string;
  readonly hmacKey: Buffer;
  readonly signing: Signing;
}

export function createControl(
  deps: TurnServiceDeps,
  registry: AllocationRegistry,
  traffic: Traffic,
  connections: TcpConnections,
  now: () => number,
  log: Logger,
): Control {
  const { metrics, limits } = deps;
  const reply = deps.auth.reply;
  /** 5-tuples whose Allocate is opening its relay: a retransmission meanwhile is dropped. */
  const opening = new Set<string>();
  const lifetimeDefault = limits.allocationLifetimeMs / 1000;
  const lifetimeMax = limits.maxAllocationLifetimeMs / 1000;

  const answer = (
    link: TurnLink,
    request: StunMessage,
    bytes: Uint8Array,
    code: number | 'ok',
  ): void => {
    metrics.turnRequests.inc({
      method: METHOD_NAMES[request.method] ?? 'other',
      code: String(code),
    });
    link.send(bytes);
  };
  const refuse = (
    link: TurnLink,
    request: StunMessage,
    refusal: Refusal,
    signing: Signing,
  ): void => {
    if (refusal.code === 403) deps.suspicious(link.client.address, 'turn.peer-denied');
    answer(link, request, errorReply(request, refusal.code, reply, { signing }), refusal.code);
  };
  const succeed = (
    link: TurnLink,
    request: StunMessage,
    allocation: Allocation,
    attributes: AttributeValue[],
    signing: Signing,
  ): void => {
    const bytes = successReply(request, attributes, reply, signing);
    allocation.remember(request.transactionId, bytes);
    answer(link, request, bytes, 'ok');
  };

  const tcp =
    deps.tcpRelays === undefined
      ? undefined
      : createTcpControl(deps, deps.tcpRelays, registry, connections, now, {
          answer,
          refuse,
          succeed,
        });

  /**
   * Authentication (with the allocation's user, when there is one), the answer to a retransmission,
   * and 420 for unknown attributes: undefined when the request was answered here.
   */
  const authorize = (link: TurnLink, request: StunMessage): Authorized | undefined => {
    const key = linkKey(link);
    const entry = registry.live(key, now());
    const auth = authenticate(
      request,
      deps.auth,
      clientKey(link),
      now(),
      entry?.allocation.username,
    );
    if (auth.kind === 'refused') {
      if (auth.suspicious !== undefined) deps.suspicious(link.client.address, auth.suspicious);
      answer(link, request, auth.bytes, auth.code);
      return undefined;
    }
    const again = entry?.allocation.answeredBefore(request.transactionId);
    if (again !== undefined) {
      link.send(again);
      return undefined;
    }
    const unknown = unknownAttributes(request);
    if (unknown.length > 0) {
      answer(link, request, unknownAttributesReply(request, unknown, reply, auth.signing), 420);
      return undefined;
    }
    return {
      key,
      entry,
      username: auth.username,
      user: auth.user,
      hmacKey: auth.key,
      signing: auth.signing,
    };
  };

  /** Quotas (486) and where TCP relaying is not offered (RFC 6062 §5.1): the refusal, if any. */
  const allocateRefusal = (link: TurnLink, user: string, ask: AllocateAsk): Refusal | undefined => {
    if (
      registry.countFor(user) >= limits.maxAllocationsPerUser ||
      registry.size >= limits.maxAllocations
    ) {
      return { kind: 'error', code: 486 };
    }
    if (ask.protocol !== 'tcp') return undefined;
    // TCP relaying needs a TCP/TLS control connection (400); turned off, it is 442.
    if (tcp === undefined) return { kind: 'error', code: 442 };
    return link.transport === 'udp' ? { kind: 'error', code: 400 } : undefined;
  };

  const openRelays = async (
    key: string,
    ask: AllocateAsk,
  ): Promise<{ relays: RelayHandle[]; token: Buffer | undefined }> => {
    if (ask.protocol === 'tcp') {
      return { relays: (await tcp?.openRelays(key, ask.families)) ?? [], token: undefined };
    }
    return openUdpRelays(deps.relays, ask, traffic.fromPeer(key));
  };

  const allocate = async (link: TurnLink, request: StunMessage): Promise<void> => {
    const authorized = authorize(link, request);
    if (authorized === undefined) return;
    const { key, signing } = authorized;
    // RFC 8656 §7.2: a second Allocate on the 5-tuple (not a retransmission: that was answered).
    if (authorized.entry !== undefined) {
      refuse(link, request, { kind: 'error', code: 437 }, signing);
      return;
    }
    if (opening.has(key)) return;
    const ask = readAllocate(request, deps.relays.families());
    if (ask.kind === 'error') {
      refuse(link, request, ask, signing);
      return;
    }
    const refusal = allocateRefusal(link, authorized.user, ask);
    if (refusal !== undefined) {
      refuse(link, request, refusal, signing);
      return;
    }
    opening.add(key);
    let opened: { relays: RelayHandle[]; token: Buffer | undefined };
    try {
      opened = await openRelays(key, ask);
    } finally {
      opening.delete(key);
    }
    const { relays } = opened;
    if (relays.length === 0 || registry.get(key) !== undefined) {
      for (const relay of relays) relay.close();
      refuse(link, request, { kind: 'error', code: 508 }, signing);
      return;
    }
    const seconds = grantedSeconds(ask.lifetimeSeconds, lifetimeDefault, lifetimeMax);
    const allocation = new Allocation({
      key,
      tuple: { transport: link.transport, client: link.client, server: link.server },
      protocol: ask.protocol,
      username: authorized.username,
      user: authorized.user,
      hmacKey: authorized.hmacKey,
      relays,
      expiresAt: now() + seconds * 1000,
    });
    registry.add(allocation, link);
    const attributes = allocatedAttributes(request, link, ask, opened, seconds);
    log.debug({ client: link.client.address, transport: link.transport, seconds }, 'allocated');
    succeed(link, request, allocation, attributes, signing);
  };

  /** The attributes of a successful answer, or a refusal; the allocation is changed on success. */
  const change = (
    request: StunMessage,
    entry: Entry,
    key: string,
  ): AttributeValue[] | Refusal | 'deleted' => {
    const { allocation } = entry;
    const at = now();
    const families = allocation.relays.map((relay) => relay.address.family);
    switch (request.method) {
      case StunMethod.refresh: {
        const asked = lifetimeOf(request);
        if (asked === 'bad') return { kind: 'error', code: 400 };
        if (asked === 0) {
          registry.remove(key);
          return 'deleted';
        }
        // RFC 8656 §7.3: a family the allocation has no relay for is 443.
        const family = requestedFamily(request);
        if (family === 'bad') return { kind: 'error', code: 400 };
        if (family !== undefined && !families.includes(family)) return { kind: 'error', code: 443 };
        const seconds = grantedSeconds(asked, lifetimeDefault, lifetimeMax);
        allocation.expiresAt = at + seconds * 1000;
        return [{ type: Attr.lifetime, value: writeUint32(seconds) }];
      }
      case StunMethod.createPermission: {
        const peers = readPeers(request, deps.policy, families);
        if (!Array.isArray(peers)) return peers;
        for (const peer of peers) allocation.permit(peer.address, at);
        return [];
      }
      case StunMethod.channelBind: {
        // RFC 6062 §5: no channels on a TCP allocation.
        if (allocation.protocol === 'tcp') return { kind: 'error', code: 400 };
        const channel = readChannel(request);
        if (typeof channel !== 'number') return channel;
        const peers = readPeers(request, deps.policy, families);
        if (!Array.isArray(peers)) return peers;
        const [peer] = peers;
        if (peer === undefined || peers.length > 1 || allocation.bind(channel, peer, at) !== 'ok') {
          return { kind: 'error', code: 400 };
        }
        return [];
      }
      default:
        return { kind: 'error', code: 400 };
    }
  };

  const onAllocation = (link: TurnLink, request: StunMessage): void => {
    const authorized = authorize(link, request);
    if (authorized === undefined) return;
    const { entry, signing, key } = authorized;
    if (entry === undefined) {
      refuse(link, request, { kind: 'error', code: 437 }, signing);
      return;
    }
    if (request.method === StunMethod.connect && tcp !== undefined) {
      tcp.connect(link, request, entry, signing).catch((err: unknown) => {
        log.error({ err }, 'connect failed');
      });
      return;
    }
    const result = change(request, entry, key);
    if (result === 'deleted') {
      answer(
        link,
        request,
        successReply(request, [{ type: Attr.lifetime, value: writeUint32(0) }], reply, signing),
        'ok',
      );
    } else if (Array.isArray(result)) {
      succeed(link, request, entry.allocation, result, signing);
    } else {
      refuse(link, request, result, signing);
    }
  };

  const connectionBind = (link: TurnLink, request: StunMessage): void => {
    if (tcp === undefined) answer(link, request, errorReply(request, 400, reply), 400);
    else tcp.connectionBind(link, request);
  };

  return { allocate, onAllocation, connectionBind };
}
