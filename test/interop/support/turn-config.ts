// pbxgate as a TURN server for interop clients: a `stun` + `turn` config on loopback, with free
// ports for the listeners and for the relay range (docs/CONFIG.md, src/config/schema-turn.ts).

import { findFreePorts, freePort } from './ports.ts';

export interface TurnAccount {
  readonly user: string;
  readonly password: string;
}

export interface TurnYaml {
  /** stun.listen URLs, e.g. udp://127.0.0.1:21000. */
  readonly listen: readonly string[];
  readonly realm: string;
  readonly accounts: readonly TurnAccount[];
  readonly relay: { readonly address: string; readonly low: number; readonly high: number };
  readonly allowedPeers: readonly string[];
  readonly logLevel?: 'debug' | 'info';
}

/** A config with a stun and a turn section (state beside the config file). */
export function turnConfig(turn: TurnYaml): string {
  const text = (value: string): string => JSON.stringify(value);
  const lines = [
    'stateDir: state',
    `log: { level: ${turn.logLevel ?? 'info'} }`,
    'stun:',
    `  listen: [${turn.listen.join(', ')}]`,
    'turn:',
    `  realm: ${text(turn.realm)}`,
    '  accounts:',
    ...turn.accounts.map((a) => `    - { user: ${text(a.user)}, password: ${text(a.password)} }`),
    `  relay: { address: ${turn.relay.address}, ports: ${text(`${turn.relay.low}-${turn.relay.high}`)} }`,
    `  allowedPeers: [${turn.allowedPeers.join(', ')}]`,
  ];
  return `${lines.join('\n')}\n`;
}

export interface LoopbackTurnPorts {
  /** The STUN/TURN listener, free for both UDP and TCP on 127.0.0.1. */
  readonly port: number;
  /** The relay range, every port free for UDP on 127.0.0.1, not containing `port`. */
  readonly relayLow: number;
  readonly relayHigh: number;
}

/** A listener port and `relayPorts` consecutive relay ports, all free on 127.0.0.1. */
export async function loopbackTurnPorts(relayPorts: number): Promise<LoopbackTurnPorts> {
  const port = await freePort();
  for (;;) {
    const relayLow = await findFreePorts({ protos: ['udp'], count: relayPorts });
    const relayHigh = relayLow + relayPorts - 1;
    if (port < relayLow || port > relayHigh) return { port, relayLow, relayHigh };
  }
}
