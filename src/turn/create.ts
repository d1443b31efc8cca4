// The TURN part from the `turn:` config: credentials, nonces, peer policy and relay ports, wired to
// the gateway's fraud sink and metrics. It runs on the STUN listeners (stun/server.ts hands it its
// traffic), so it has no sockets of its own besides the relays.

import type { TurnConfig } from '../config/schema-turn.ts';
import { PbxgateError } from '../errors.ts';
import { isWildcardAddress } from '../net/listen-url.ts';
import type { Suspicious } from '../fraud/suspicious.ts';
import type { Logger } from '../observe/log.ts';
import type { Metrics } from '../observe/metrics.ts';
import { writeText } from '../stun/attributes/text.ts';
import { createTurnCredentials } from './credentials.ts';
import { createNonceIssuer } from './nonce.ts';
import { createPeerPolicy } from './peer-policy.ts';
import { announcedHost, createRelayOpener } from './relay.ts';
import { createTcpRelayOpener } from './tcp-relay.ts';
import { type TurnService, createTurnService } from './service.ts';

export interface TurnPartDeps {
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly suspicious: Suspicious;
  /** The STUN UDP listen hosts: a wildcard relay address announces the first specific one of its family. */
  readonly stunHosts: readonly string[];
  readonly software: string | undefined;
}

export function createTurnPart(config: TurnConfig, deps: TurnPartDeps): TurnService {
  const { relay } = config;
  // A relay bound to a wildcard is announced at the gateway's own address of its family.
  const localOf = (family: 4 | 6): string | undefined =>
    deps.stunHosts.find(
      (host) => !isWildcardAddress(host) && host.includes(':') === (family === 6),
    );
  const relayConfig = { address: relay.address, external: relay.external, ports: relay.ports };
  if (!([4, 6] as const).some((f) => announcedHost(relayConfig, f, localOf) !== undefined)) {
    throw new PbxgateError(
      'PBX_ERR_CONFIG',
      'turn.relay: no address to announce for relays: relay.address is a wildcard and no stun.listen ' +
        'UDP address of its family is specific; set turn.relay.external (the address clients are told ' +
        'to send to)',
    );
  }
  return createTurnService({
    auth: {
      realm: config.realm,
      credentials: createTurnCredentials({
        realm: config.realm,
        accounts: config.accounts,
        sharedSecrets: config.sharedSecret,
      }),
      nonces: createNonceIssuer({ lifetimeMs: config.nonceLifetime }),
      reply: { software: deps.software === undefined ? undefined : writeText(deps.software) },
    },
    policy: createPeerPolicy({ denied: config.deniedPeers, allowed: config.allowedPeers }),
    relays: createRelayOpener(relayConfig, localOf),
    tcpRelays: relay.tcp ? createTcpRelayOpener(relayConfig, localOf) : undefined,
    limits: {
      allocationLifetimeMs: config.allocationLifetime,
      maxAllocationLifetimeMs: config.maxAllocationLifetime,
      maxAllocationsPerUser: config.maxAllocationsPerUser,
      maxAllocations: config.maxAllocations,
      maxBytesPerSecond: config.maxBytesPerSecond,
    },
    suspicious: deps.suspicious,
    metrics: deps.metrics,
    log: deps.log,
  });
}
