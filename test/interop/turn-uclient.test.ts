// coturn's TURN client (turnutils_uclient) against pbxgate's TURN server, over UDP, TCP and TLS,
// client-to-client (-y) and through coturn's echo peer (turnutils_peer), with long-term and with
// shared-secret (-W) credentials, and with RFC 6062 TCP relaying (-T: Connect, ConnectionAttempt,
// ConnectionBind): every message sent is received, none lost.
// Recipes and the meaning of uclient's output: shared/reference/coturn-recipes.md §6.

import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { startPbxgate } from './support/pbxgate.ts';
import { findFreePorts, freePort, freeUdpPort } from './support/ports.ts';
import { runTool, startProcess } from './support/process.ts';
import { requireTool } from './support/tools.ts';

const TIMEOUT = { timeout: 90_000 };
const USER = 'alice';
const PASSWORD = 'secret123';
const SECRET = 'northSecret42';
const RELAY_PORTS = 200;

interface Ports {
  readonly udp: number;
  readonly tcp: number;
  readonly tls: number;
}

async function turnServer(t: TestContext): Promise<Ports> {
  const [udp, tls, relay] = [
    await freePort(),
    await freePort(),
    await findFreePorts({ protos: ['udp', 'tcp'], count: RELAY_PORTS }),
  ];
  await startPbxgate(
    t,
    [
      'stun:',
      `  listen: [udp://127.0.0.1:${udp}, tcp://127.0.0.1:${udp}, tls://127.0.0.1:${tls}]`,
      'turn:',
      '  realm: pbx.test',
      `  accounts: [{ user: ${USER}, password: ${PASSWORD} }]`,
      `  sharedSecret: ${SECRET}`,
      `  relay: { address: 127.0.0.1, ports: ${relay}-${relay + RELAY_PORTS - 1} }`,
      // uclient relays to peers on loopback; nothing else may be opened.
      '  allowedPeers: [127.0.0.1/32]',
      // uclient does not always release its allocations (coturn-recipes.md §6).
      '  maxAllocationsPerUser: 100',
      '',
    ].join('\n'),
  );
  return { udp, tcp: udp, tls };
}

interface Totals {
  readonly sent: number;
  readonly received: number;
  readonly lost: number;
}

/** The final totals uclient prints; undefined when the run did not get that far. */
function totals(output: string): Totals | undefined {
  const messages = /tot_send_msgs=(\d+), tot_recv_msgs=(\d+)\s*$/m.exec(
    output
      .split('\n')
      .filter((line) => line.includes('start_mclient: tot_send_msgs'))
      .join('\n'),
  );
  const lost = /Total lost packets (\d+)/.exec(output);
  if (messages === null || lost === null) return undefined;
  return { sent: Number(messages[1]), received: Number(messages[2]), lost: Number(lost[1]) };
}

async function uclient(t: TestContext, args: readonly string[]): Promise<Totals> {
  const run = await runTool(
    'turnutils_uclient',
    [...args, '-n', '50', '-m', '4', '-l', '160', '-c'],
    {
      timeoutMs: 60_000,
    },
  );
  const output = run.stdout + run.stderr;
  t.assert.equal(run.timedOut, false, `uclient hung:\n${output}`);
  const result = totals(output);
  t.assert.notEqual(result, undefined, `no totals from uclient ${args.join(' ')}:\n${output}`);
  return result ?? { sent: 0, received: -1, lost: -1 };
}

function assertDelivered(t: TestContext, result: Totals): void {
  t.assert.equal(result.sent, 200, '4 sessions x 50 messages');
  t.assert.equal(result.received, result.sent);
  t.assert.equal(result.lost, 0);
}

const longTerm = ['-u', USER, '-w', PASSWORD];
const restSecret = ['-W', SECRET];

test(
  'uclient over UDP through turnutils_peer (long-term) and client-to-client (-W secret)',
  TIMEOUT,
  async (t) => {
    if (!requireTool(t, 'turnutils_uclient', 'turnutils_peer')) return;
    const ports = await turnServer(t);
    const peerPort = await freeUdpPort();
    await startProcess(t, 'turnutils_peer', ['-p', String(peerPort), '-L', '127.0.0.1']);
    const viaPeer = await uclient(t, [
      ...longTerm,
      '-p',
      String(ports.udp),
      '-e',
      '127.0.0.1',
      '-r',
      String(peerPort),
      '127.0.0.1',
    ]);
    assertDelivered(t, viaPeer);
    assertDelivered(
      t,
      await uclient(t, [...restSecret, '-y', '-p', String(ports.udp), '127.0.0.1']),
    );
    // Send indications instead of channels.
    assertDelivered(
      t,
      await uclient(t, [...longTerm, '-s', '-y', '-p', String(ports.udp), '127.0.0.1']),
    );
  },
);

test('uclient over TCP, client-to-client and through turnutils_peer', TIMEOUT, async (t) => {
  if (!requireTool(t, 'turnutils_uclient', 'turnutils_peer')) return;
  const ports = await turnServer(t);
  const peerPort = await freeUdpPort();
  await startProcess(t, 'turnutils_peer', ['-p', String(peerPort), '-L', '127.0.0.1']);
  assertDelivered(
    t,
    await uclient(t, [...longTerm, '-t', '-y', '-p', String(ports.tcp), '127.0.0.1']),
  );
  assertDelivered(
    t,
    await uclient(t, [
      ...restSecret,
      '-t',
      '-p',
      String(ports.tcp),
      '-e',
      '127.0.0.1',
      '-r',
      String(peerPort),
      '127.0.0.1',
    ]),
  );
});

test(
  'uclient over TLS (pbxgate’s self-signed certificate), long-term and -W secret',
  TIMEOUT,
  async (t) => {
    if (!requireTool(t, 'turnutils_uclient')) return;
    const ports = await turnServer(t);
    assertDelivered(
      t,
      await uclient(t, [...longTerm, '-t', '-S', '-y', '-p', String(ports.tls), '127.0.0.1']),
    );
    assertDelivered(
      t,
      await uclient(t, [...restSecret, '-t', '-S', '-y', '-p', String(ports.tls), '127.0.0.1']),
    );
  },
);

test(
  'uclient with TCP allocations (RFC 6062, -T) over TCP and TLS, long-term and -W secret',
  TIMEOUT,
  async (t) => {
    if (!requireTool(t, 'turnutils_uclient')) return;
    const ports = await turnServer(t);
    // -T: each pair of sessions Connects one's relay to the other's, which gets a ConnectionAttempt;
    // both bind a data connection and echo over it.
    assertDelivered(t, await uclient(t, [...longTerm, '-T', '-p', String(ports.tcp), '127.0.0.1']));
    assertDelivered(
      t,
      await uclient(t, [...restSecret, '-T', '-S', '-p', String(ports.tls), '127.0.0.1']),
    );
  },
);

test('uclient with a wrong password cannot allocate', TIMEOUT, async (t) => {
  if (!requireTool(t, 'turnutils_uclient')) return;
  const ports = await turnServer(t);
  const run = await runTool(
    'turnutils_uclient',
    [
      '-u',
      USER,
      '-w',
      'wrong',
      '-y',
      '-n',
      '5',
      '-m',
      '1',
      '-c',
      '-p',
      String(ports.udp),
      '127.0.0.1',
    ],
    { timeoutMs: 30_000 },
  );
  t.assert.match(run.stdout + run.stderr, /Cannot complete Allocation|error 401/);
});
