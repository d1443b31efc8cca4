// A real browser through pbxgate's TURN relay: headless Chromium (Debian's `chromium`, driven by
// playwright-core) runs two RTCPeerConnections in one about:blank page, both with
// iceTransportPolicy 'relay' and pbxgate as their only ICE server, one test per transport to
// pbxgate (turn:…?transport=udp, turn:…?transport=tcp, turns:…?transport=tcp), each with its own
// pbxgate and its own browser. They open a data channel, send messages both ways, and getStats()
// must show a relay/relay selected pair on pbxgate's relay address (127.0.0.1, a port of
// turn.relay.ports), reached over that transport, 'succeeded' on both sides (the controlled side
// can report 'in-progress' for a moment after data flows: the page reads the stats again until
// then); pbxgate's debug log must show the allocations, all on that transport.
//
// Chromium flags, as found with Chromium 156 (Debian 12):
// - UDP and TCP need none. Without a getUserMedia permission Chromium does not enumerate network
//   adapters: it gathers on one "any address" network (relay candidates show `raddr 0.0.0.0`,
//   networkType 'unknown'), so its loopback filtering never applies, and a TURN server on
//   127.0.0.1 is used like any other. --allow-loopback-in-peer-connection was tried and changes
//   nothing here, and no --force-fieldtrials=WebRTC-… flag is needed, so none is passed.
// - TLS: Chromium checks the TURN server's certificate like a web page's. pbxgate's generated
//   self-signed one (in <stateDir>/tls/) is refused: icecandidateerror 701 "Failed to establish
//   connection", no candidate, no allocation (the last test shows it). Two flags make it work:
//   --ignore-certificate-errors (any certificate) or, used here because it admits only this
//   one key, --ignore-certificate-errors-spki-list=<base64 SHA-256 of the certificate's
//   SubjectPublicKeyInfo> (honoured because playwright runs Chromium with its own
//   --user-data-dir). The certificate's SAN has IP:127.0.0.1, so the name matches as well.
//
// pbxgate: turn.allowedPeers [127.0.0.1/32] (loopback peers are denied by default) and
// turn.relay { address: 127.0.0.1, ports: a free range }.

import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CHROMIUM,
  type CandidateStats,
  type IceServer,
  type PeerReport,
  type RelayCallReport,
  gatherRelay,
  launchChromium,
  relayCall,
  spkiPin,
} from './support/browser.ts';
import { type LogLine, type Pbxgate, startPbxgate } from './support/pbxgate.ts';
import { findFreePorts, freeTcpPort, freeUdpPort } from './support/ports.ts';
import { requireTool } from './support/tools.ts';

const TIMEOUT = { timeout: 60_000 };
const PAGE_TIMEOUT_MS = 20_000;
const RELAY_PORTS = 16;
const MESSAGES = ['hello through pbxgate', 'ünïcödé ✓', 'x'.repeat(4000)];

type Transport = 'udp' | 'tcp' | 'tls';

interface TurnGate {
  readonly gate: Pbxgate;
  readonly iceServer: IceServer;
  readonly relayLow: number;
  readonly relayHigh: number;
}

/** A pbxgate whose only listener is `transport` on 127.0.0.1, relaying on 127.0.0.1. */
async function startTurnGate(t: TestContext, transport: Transport): Promise<TurnGate> {
  const port = transport === 'udp' ? await freeUdpPort() : await freeTcpPort();
  let relayLow = port;
  while (relayLow <= port && port < relayLow + RELAY_PORTS) {
    relayLow = await findFreePorts({ protos: ['udp'], count: RELAY_PORTS });
  }
  const relayHigh = relayLow + RELAY_PORTS - 1;
  const password = randomBytes(12).toString('hex');
  const gate = await startPbxgate(
    t,
    [
      'stateDir: state',
      'log: { level: debug }',
      'stun:',
      `  listen: [${transport}://127.0.0.1:${port}]`,
      'turn:',
      '  realm: pbxgate.test',
      `  accounts: [{ user: chromium, password: ${password} }]`,
      `  relay: { address: 127.0.0.1, ports: ${relayLow}-${relayHigh} }`,
      '  allowedPeers: [127.0.0.1/32]',
      '',
    ].join('\n'),
  );
  const scheme = transport === 'tls' ? 'turns' : 'turn';
  const urls = `${scheme}:127.0.0.1:${port}?transport=${transport === 'udp' ? 'udp' : 'tcp'}`;
  return {
    gate,
    iceServer: { urls, username: 'chromium', credential: password },
    relayLow,
    relayHigh,
  };
}

/** pbxgate's generated certificate, as its log names it. */
async function generatedCertificate(gate: Pbxgate): Promise<string> {
  const line = gate.logs().find((log) => log['msg'] === 'generated a self-signed TLS certificate');
  const file = line?.['file'];
  if (typeof file !== 'string')
    throw new Error(`no generated certificate logged:\n${gate.process.output()}`);
  return readFile(file, 'utf8');
}

function allocations(gate: Pbxgate): LogLine[] {
  return gate.logs().filter((log) => log['part'] === 'turn' && log['msg'] === 'allocated');
}

/** Polls pbxgate's log (its stdout arrives asynchronously) until `enough` or 5 s. */
async function allocationsLogged(gate: Pbxgate, enough: number): Promise<LogLine[]> {
  const deadline = Date.now() + 5000;
  while (allocations(gate).length < enough && Date.now() < deadline) await sleep(50);
  return allocations(gate);
}

/** The report (long strings cut) and pbxgate's output, for a failed assertion. */
function diagnostics(report: RelayCallReport | PeerReport, gate: Pbxgate): string {
  const cut = (_key: string, value: unknown): unknown =>
    typeof value === 'string' && value.length > 120 ? `${value.slice(0, 120)}…` : value;
  return `${JSON.stringify(report, cut, 2)}\npbxgate output:\n${gate.process.output()}`;
}

function assertRelayCandidate(
  t: TestContext,
  what: string,
  candidate: CandidateStats,
  turn: TurnGate,
): void {
  t.assert.equal(candidate.candidateType, 'relay', what);
  t.assert.equal(candidate.address, '127.0.0.1', what);
  t.assert.equal(candidate.protocol, 'udp', what);
  t.assert.equal(
    candidate.port >= turn.relayLow && candidate.port <= turn.relayHigh,
    true,
    `${what}: port ${candidate.port} not in turn.relay.ports ${turn.relayLow}-${turn.relayHigh}`,
  );
}

async function relayedCall(t: TestContext, transport: Transport): Promise<void> {
  if (!requireTool(t, CHROMIUM)) return;
  const turn = await startTurnGate(t, transport);
  const flags =
    transport === 'tls'
      ? [`--ignore-certificate-errors-spki-list=${spkiPin(await generatedCertificate(turn.gate))}`]
      : [];
  const browser = await launchChromium(t, flags);
  const page = await browser.newPage();
  const report = await relayCall(page, turn.iceServer, MESSAGES, PAGE_TIMEOUT_MS);
  const details = diagnostics(report, turn.gate);

  t.assert.equal(report.outcome, 'done', details);
  t.assert.deepEqual(report.b.received, MESSAGES, details);
  t.assert.deepEqual(
    report.a.received,
    MESSAGES.map((message) => `echo: ${message}`),
    details,
  );
  for (const [name, peer] of [
    ['a', report.a],
    ['b', report.b],
  ] as const) {
    t.assert.deepEqual(peer.errors, [], details);
    for (const line of peer.candidates) {
      t.assert.match(line, / udp \d+ 127\.0\.0\.1 \d+ typ relay /, `${name} gathered: ${line}`);
    }
    const pair = peer.selected;
    if (pair === undefined) throw new Error(`${name}: no selected candidate pair\n${details}`);
    t.assert.equal(pair.state, 'succeeded', details);
    t.assert.equal(pair.bytesSent > 0 && pair.bytesReceived > 0, true, details);
    assertRelayCandidate(t, `${name} selected local`, pair.local, turn);
    assertRelayCandidate(t, `${name} selected remote`, pair.remote, turn);
    t.assert.equal(pair.local.relayProtocol, transport, details);
    t.assert.equal(pair.local.url, turn.iceServer.urls, details);
  }
  // Each side's remote relay candidate is the other side's local one.
  t.assert.equal(report.a.selected?.remote.port, report.b.selected?.local.port, details);
  t.assert.equal(report.b.selected?.remote.port, report.a.selected?.local.port, details);

  const allocated = await allocationsLogged(turn.gate, 2);
  t.assert.equal(allocated.length >= 2, true, details);
  t.assert.deepEqual([...new Set(allocated.map((log) => log['transport']))], [transport]);
}

test('Chromium calls itself relay/relay through pbxgate over TURN/UDP', TIMEOUT, (t) =>
  relayedCall(t, 'udp'),
);

test('Chromium calls itself relay/relay through pbxgate over TURN/TCP', TIMEOUT, (t) =>
  relayedCall(t, 'tcp'),
);

test('Chromium calls itself relay/relay through pbxgate over TURN/TLS (pinned key)', TIMEOUT, (t) =>
  relayedCall(t, 'tls'),
);

test(
  "Chromium refuses pbxgate's self-signed TURN/TLS certificate without the pin",
  TIMEOUT,
  async (t) => {
    if (!requireTool(t, CHROMIUM)) return;
    const turn = await startTurnGate(t, 'tls');
    const browser = await launchChromium(t, []);
    const page = await browser.newPage();
    const { complete, peer } = await gatherRelay(page, turn.iceServer, PAGE_TIMEOUT_MS);
    const details = diagnostics(peer, turn.gate);
    t.assert.equal(complete, true, details);
    t.assert.deepEqual(peer.candidates, [], details);
    t.assert.deepEqual(
      peer.errors.map(({ url, errorCode }) => ({ url, errorCode })),
      [{ url: turn.iceServer.urls, errorCode: 701 }],
      details,
    );
    t.assert.deepEqual(allocations(turn.gate), []);
  },
);
