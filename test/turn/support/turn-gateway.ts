// pbxgate with STUN + TURN on free loopback ports, composed from a YAML config like a real start,
// plus the peers (plain UDP sockets) the relay talks to.

import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseConfigText } from '../../../src/config/load.ts';
import { type Gateway, createGateway } from '../../../src/gateway.ts';
import { createMetrics } from '../../../src/observe/metrics.ts';
import type { TransportAddress } from '../../../src/stun/attributes/address.ts';
import { freePort, quietLog } from '../../support/stun-server.ts';
import { Inbox } from './inbox.ts';
import { REALM } from './turn-client.ts';

export const ALICE = { username: 'alice', password: 'alice-pass' } as const;
export const BOB = { username: 'bob', password: 'bob-pass' } as const;
export const SECRET = 'rest-secret';

/** Relay ports: 100 from 20000-32767, below the kernel's ephemeral range (no client lands there). */
const RELAY_PORTS = 100;

export interface TurnGateway {
  readonly gateway: Gateway;
  /** The STUN/TURN port, UDP and TCP. */
  readonly port: number;
  readonly relay: { readonly min: number; readonly max: number };
  readonly metrics: () => Promise<string>;
}

export interface TurnGatewayOptions {
  /** More `turn:` keys, one `key: value` each. */
  readonly turn?: readonly string[];
  readonly allowedPeers?: string;
  /** `turn.relay.tcp` (RFC 6062 TCP allocations); on by default. */
  readonly relayTcp?: boolean;
  /** `turn.relay.external`: the address advertised in XOR-RELAYED-ADDRESS. */
  readonly relayExternal?: string;
  /** The `fraud:` section as a flow mapping; none when absent. */
  readonly fraud?: string;
}

export async function startTurnGateway(
  t: TestContext,
  options: TurnGatewayOptions = {},
): Promise<TurnGateway> {
  const dir = await mkdtemp(join(tmpdir(), 'pbxgate-turn-'));
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const min = 20_000 + Math.floor(Math.random() * 127) * RELAY_PORTS;
    const relay = { min, max: min + RELAY_PORTS - 1 };
    const config = parseConfigText(
      [
        'stun:',
        `  listen: [udp://127.0.0.1:${port}, tcp://127.0.0.1:${port}]`,
        'turn:',
        `  realm: ${REALM}`,
        `  accounts: [{ user: ${ALICE.username}, password: ${ALICE.password} }, { user: ${BOB.username}, password: ${BOB.password} }]`,
        `  sharedSecret: ${SECRET}`,
        `  relay: { address: 127.0.0.1, ports: ${relay.min}-${relay.max}, tcp: ${options.relayTcp ?? true}${
          options.relayExternal === undefined ? '' : `, external: ${options.relayExternal}`
        } }`,
        `  allowedPeers: ${options.allowedPeers ?? '[127.0.0.1/32]'}`,
        ...(options.turn ?? []).map((line) => `  ${line}`),
        ...(options.fraud === undefined ? [] : [`fraud: ${options.fraud}`]),
        '',
      ].join('\n'),
      'turn-test.yaml',
    );
    const metrics = createMetrics({ defaultMetrics: false });
    const gateway = await createGateway(config, { log: quietLog, baseDir: dir, metrics });
    try {
      await gateway.start();
    } catch (err) {
      lastError = err; // the UDP twin of a free TCP port was taken: another port
      continue;
    }
    t.after(async () => {
      await gateway.stop();
      await rm(dir, { recursive: true, force: true });
    });
    return { gateway, port, relay, metrics: () => metrics.registry.metrics() };
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError;
}

export interface Datagram {
  readonly data: Buffer;
  readonly from: TransportAddress;
}

export interface UdpPeer {
  readonly address: TransportAddress;
  readonly inbox: Inbox<Datagram>;
  send(data: Uint8Array, to: TransportAddress): Promise<void>;
}

/** A plain UDP socket on `host` (127.0.0.1 by default), port 0. */
export async function udpPeer(t: TestContext, host = '127.0.0.1'): Promise<UdpPeer> {
  const socket = createSocket('udp4');
  t.after(() => {
    socket.close();
  });
  const inbox = new Inbox<Datagram>();
  socket.on('message', (data, from) => {
    inbox.push({ data, from: { family: 4, address: from.address, port: from.port } });
  });
  socket.on('error', () => undefined);
  socket.bind(0, host);
  await once(socket, 'listening');
  return {
    address: { family: 4, address: host, port: socket.address().port },
    inbox,
    send: (data, to) =>
      new Promise((resolve, reject) => {
        socket.send(data, to.port, to.address, (err) => {
          if (err) reject(err);
          else resolve();
        });
      }),
  };
}

/** True when nothing holds this UDP port on 127.0.0.1 (a relay port that was freed). */
export function canBindUdp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind({ address: '127.0.0.1', port, exclusive: true }, () => {
      socket.close(() => {
        resolve(true);
      });
    });
  });
}

/** Waits (polling, up to `timeoutMs`) until `check` holds; returns whether it did. */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 5000,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(25);
  }
}

/** The value of one series in Prometheus text, or undefined when it is not there. */
export function metricValue(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

/** `promise`, or a rejection after `timeoutMs` (for waits that have no timeout of their own). */
export async function within<T>(promise: Promise<T>, timeoutMs = 5000, what = 'event'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`no ${what} within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
