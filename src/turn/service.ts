// The TURN server (RFC 8656) on the STUN listeners: the STUN server hands it every datagram or
// stream message that is TURN's (`handle`); requests go to control.ts, data to traffic.ts, and a
// sweep ends what expired (allocations, permissions, channels).

import { StunClass, StunMethod } from '../stun/constants.ts';
import { decodeStunMessage } from '../stun/message.ts';
import { checkFingerprint } from '../stun/fingerprint.ts';
import type { Part } from '../part.ts';
import { isChannelDataStart } from './channel-data.ts';
import { createControl } from './control.ts';
import { AllocationRegistry, linkKey } from './registry.ts';
import { TcpConnections } from './tcp-connections.ts';
import { createTraffic } from './traffic.ts';
import type { TurnLink, TurnServiceDeps } from './types.ts';

export type { TurnLimits, TurnLink, TurnServiceDeps } from './types.ts';

export interface TurnService extends Part {
  /** True when `bytes` were TURN's (ChannelData or a TURN method) and were handled. */
  handle(bytes: Uint8Array, link: TurnLink): boolean;
  /** A TCP/TLS client connection closed: its allocation ends with it (RFC 8656 §3.1). */
  closed(link: TurnLink): void;
  /** The link has a live allocation (an idle TCP/TLS connection carrying one stays open). */
  holds(link: TurnLink): boolean;
  readonly allocationCount: number;
}

const SWEEP_EVERY_MS = 1000;
const TURN_METHODS: ReadonlySet<number> = new Set([
  StunMethod.allocate,
  StunMethod.refresh,
  StunMethod.send,
  StunMethod.createPermission,
  StunMethod.channelBind,
  StunMethod.connect,
  StunMethod.connectionBind,
]);

export function createTurnService(deps: TurnServiceDeps): TurnService {
  const now = deps.now ?? Date.now;
  const log = deps.log.child({ part: 'turn' });
  const { metrics } = deps;
  const registry = new AllocationRegistry(metrics);
  const traffic = createTraffic(deps, registry, now);
  const connections = new TcpConnections(traffic.meterStream, {
    onCount: (count) => {
      metrics.turnTcpConnections.set(count);
    },
  });
  const control = createControl(deps, registry, traffic, connections, now, log);
  let timer: NodeJS.Timeout | undefined;
  let permissions = 0;
  let channels = 0;

  const sweep = (): void => {
    const at = now();
    let nextPermissions = 0;
    let nextChannels = 0;
    for (const { allocation } of [...registry.all()]) {
      if (allocation.isExpired(at)) {
        registry.remove(allocation.key);
        continue;
      }
      allocation.sweep(at);
      nextPermissions += allocation.permissionCount;
      nextChannels += allocation.channelCount;
    }
    if (nextPermissions !== permissions)
      metrics.turnPermissions.set((permissions = nextPermissions));
    if (nextChannels !== channels) metrics.turnChannels.set((channels = nextChannels));
  };

  return {
    name: 'turn',
    start() {
      clearInterval(timer);
      timer = setInterval(sweep, SWEEP_EVERY_MS);
      timer.unref();
      return Promise.resolve();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
      registry.clear();
      connections.clear();
      deps.relays.close();
      return Promise.resolve();
    },
    handle(bytes, link) {
      const first = bytes[0] ?? 0;
      if (isChannelDataStart(first)) {
        traffic.onChannelData(bytes, link);
        return true;
      }
      if (first > 0x03) return false;
      const decoded = decodeStunMessage(bytes);
      if (decoded.kind !== 'ok') return false;
      const message = decoded.value;
      if (!TURN_METHODS.has(message.method) || !message.hasCookie) return false;
      // RFC 8489 §6.3: a message whose FINGERPRINT does not verify is not STUN: discarded.
      if (checkFingerprint(message) === 'invalid') {
        traffic.drop('malformed');
        return true;
      }
      if (message.class === StunClass.indication) {
        if (message.method === StunMethod.send) traffic.onSend(link, message);
        else traffic.drop('malformed');
        return true;
      }
      if (message.class !== StunClass.request) return true; // answers to nothing we asked: dropped
      if (message.method === StunMethod.allocate) {
        control.allocate(link, message).catch((err: unknown) => {
          log.error({ err }, 'allocate failed');
        });
      } else if (message.method === StunMethod.connectionBind) {
        control.connectionBind(link, message);
      } else {
        control.onAllocation(link, message);
      }
      return true;
    },
    closed(link) {
      registry.remove(linkKey(link));
    },
    holds(link) {
      return registry.live(linkKey(link), now()) !== undefined;
    },
    get allocationCount() {
      return registry.size;
    },
  };
}
