// What the parts of the TURN server share: the link to a client, the limits, the dependencies.

import type { Duplex } from 'node:stream';
import type { Suspicious } from '../fraud/suspicious.ts';
import type { Logger } from '../observe/log.ts';
import type { Metrics } from '../observe/metrics.ts';
import type { TransportAddress } from '../stun/attributes/address.ts';
import type { StunTransport } from '../stun/binding.ts';
import type { AuthDeps } from './auth.ts';
import type { PeerPolicy } from './peer-policy.ts';
import type { RelayOpener } from './relay.ts';
import type { TcpRelayOpener } from './tcp-relay.ts';

/** Where a client's TURN traffic came in, and the way back to it. */
export interface TurnLink {
  readonly transport: StunTransport;
  readonly client: TransportAddress;
  readonly server: TransportAddress;
  send(bytes: Uint8Array): void;
  /**
   * TCP/TLS only: takes the connection away from STUN framing (an RFC 6062 data connection, after
   * its ConnectionBind was answered). The socket comes paused, with what was read after the message.
   */
  takeOver?(): { readonly socket: Duplex; readonly rest: Uint8Array };
}

export interface TurnLimits {
  readonly allocationLifetimeMs: number;
  readonly maxAllocationLifetimeMs: number;
  readonly maxAllocationsPerUser: number;
  readonly maxAllocations: number;
  /** Relayed bytes per allocation and second, both directions together; 0 = unlimited. */
  readonly maxBytesPerSecond: number;
}

export interface TurnServiceDeps {
  readonly auth: AuthDeps;
  readonly policy: PeerPolicy;
  readonly relays: RelayOpener;
  /** RFC 6062 TCP allocations; without it, REQUESTED-TRANSPORT TCP is 442. */
  readonly tcpRelays?: TcpRelayOpener | undefined;
  readonly limits: TurnLimits;
  readonly suspicious: Suspicious;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly now?: () => number;
}
