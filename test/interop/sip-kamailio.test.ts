// Issue 5, SIP must-shows: sipp registers with digest authentication through pbxgate (SIP over TCP
// and over TLS) at real Kamailio registrars, two SIP domains routed to two backends by the From
// domain; a wrong password at a steady rate gets the client blacklisted within the threshold, after
// which Kamailio receives nothing more from it (pbxgate sends a PROXY header, so Kamailio sees the
// client's own address); an unknown domain gets 404 from pbxgate itself, built from the request.

import { once } from 'node:events';
import { connect } from 'node:net';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Kamailio, startKamailio } from './support/kamailio.ts';
import { type Pbxgate, startPbxgate } from './support/pbxgate.ts';
import { findFreePorts } from './support/ports.ts';
import { type SippResult, describeSipp, runSipp } from './support/sipp.ts';
import { requireTool } from './support/tools.ts';

const TIMEOUT = { timeout: 120_000 };
const A_USERS = { 'alice@a.test': 'alice-pw1' };
const B_USERS = { 'bob@b.test': 'bob-pw2' };
/** Wrong-password REGISTERs (each answered 401, then 403 or 401) that blacklist the client. */
const THRESHOLD = 6;

interface Setup {
  readonly a: Kamailio;
  readonly b: Kamailio;
  readonly pbxgate: Pbxgate;
  readonly sip: number;
  readonly sips: number;
}

async function setup(t: TestContext): Promise<Setup> {
  const [a, b] = await Promise.all([
    startKamailio(t, { users: A_USERS, proxyProtocol: true }),
    startKamailio(t, { users: B_USERS, proxyProtocol: true }),
  ]);
  const sip = await findFreePorts({ protos: ['tcp'], count: 2 });
  const sips = sip + 1;
  const pbxgate = await startPbxgate(
    t,
    [
      'log: { level: info }',
      'fraud:',
      `  suspiciousPerMinute: ${THRESHOLD}`,
      '  blacklistMinutes: 5',
      'proxy:',
      `  listen: { sip-tcp: 127.0.0.1:${sip}, sip-tls: 127.0.0.1:${sips} }`,
      '  services:',
      // PROXY v1: Kamailio 5.6.3 reads the ports of a v2 header byte-swapped (kamailio#3683).
      `    - { name: a.test, host: 127.0.0.1, ports: { sip: { tcp: ${a.port} } }, proxyProtocol: v1 }`,
      `    - { name: b.test, host: 127.0.0.1, ports: { sip: { tcp: ${b.port} } }, proxyProtocol: v1 }`,
      '',
    ].join('\n'),
  );
  return { a, b, pbxgate, sip, sips };
}

function assertRegistered(t: TestContext, run: SippResult, calls: number): void {
  const why = describeSipp(run);
  t.assert.equal(run.code, 0, why);
  t.assert.equal(run.successful, calls, why);
  t.assert.equal(run.failed, 0, why);
  t.assert.deepEqual(run.responses, { 401: calls, 200: calls }, why);
}

test(
  'sipp REGISTER with digest auth through pbxgate over TCP and TLS, two domains to two Kamailios',
  TIMEOUT,
  async (t) => {
    if (!requireTool(t, 'kamailio', 'sipp', 'ss')) return;
    const { a, b, sip, sips } = await setup(t);
    const alice = { user: 'alice', domain: 'a.test', password: 'alice-pw1', rate: 20, calls: 10 };
    const bob = { user: 'bob', domain: 'b.test', password: 'bob-pw2', rate: 20, calls: 10 };
    assertRegistered(t, await runSipp({ ...alice, port: sip }), 10);
    assertRegistered(t, await runSipp({ ...bob, port: sip, localIp: '127.0.0.3' }), 10);
    const overTls = await runSipp({ ...alice, port: sips, transport: 'tls', localIp: '127.0.0.4' });
    assertRegistered(t, overTls, 10);
    t.assert.equal(overTls.tlsConnections, 1, describeSipp(overTls));

    // Each domain reached its own registrar, and the PROXY header gave it the client's address.
    const fromA = await a.waitForRequests((r) => r.method === 'REGISTER', 40);
    t.assert.deepEqual([...new Set(fromA.map((r) => r.fromDomain))], ['a.test']);
    t.assert.deepEqual([...new Set(fromA.map((r) => r.sourceIp))].sort(), [
      '127.0.0.1',
      '127.0.0.4',
    ]);
    const fromB = await b.waitForRequests((r) => r.method === 'REGISTER', 20);
    t.assert.deepEqual([...new Set(fromB.map((r) => r.fromDomain))], ['b.test']);
    t.assert.deepEqual([...new Set(fromB.map((r) => r.sourceIp))], ['127.0.0.3']);
  },
);

test(
  'a wrong password at a steady rate blacklists the client; Kamailio then receives nothing from it',
  TIMEOUT,
  async (t) => {
    if (!requireTool(t, 'kamailio', 'sipp', 'ss')) return;
    const { a, sip, pbxgate } = await setup(t);
    const attacker = '127.0.0.9';
    const guessing = await runSipp({
      port: sip,
      scenario: 'register-rejected',
      user: 'alice',
      domain: 'a.test',
      password: 'guess',
      localIp: attacker,
      rate: 5,
      calls: 20,
    });
    const why = describeSipp(guessing);
    // Refused after at most THRESHOLD rejected attempts: the rest of the calls never got through.
    t.assert.equal(guessing.successful <= THRESHOLD, true, why);
    t.assert.equal(guessing.successful >= 1, true, why);
    const blacklisted = await pbxgate.waitForLog(
      (line) => line['msg'] === 'blacklisted' && line['key'] === attacker,
    );
    t.assert.notEqual(blacklisted, undefined, 'pbxgate logged the blacklisting');

    await sleep(500);
    const seen = a.requests().filter((r) => r.sourceIp === attacker).length;
    t.assert.equal(
      seen >= 1 && seen <= 2 * THRESHOLD,
      true,
      `Kamailio saw ${seen} from the attacker`,
    );
    // Later attempts from the blacklisted address are closed at accept.
    const again = await runSipp({
      port: sip,
      user: 'alice',
      domain: 'a.test',
      password: 'alice-pw1',
      localIp: attacker,
      calls: 2,
    });
    t.assert.equal(again.successful, 0, describeSipp(again));
    // A marker from someone else, so Kamailio's log has caught up before the final count.
    assertRegistered(
      t,
      await runSipp({
        port: sip,
        user: 'alice',
        domain: 'a.test',
        password: 'alice-pw1',
        calls: 1,
      }),
      1,
    );
    await a.waitForRequests((r) => r.sourceIp === '127.0.0.1', 2);
    t.assert.equal(a.requests().filter((r) => r.sourceIp === attacker).length, seen);
  },
);

test(
  'a REGISTER for an unknown domain gets 404 from pbxgate, with its Via, Call-ID and CSeq',
  TIMEOUT,
  async (t) => {
    if (!requireTool(t, 'kamailio', 'ss')) return;
    const { sip, a } = await setup(t);
    const socket = connect(sip, '127.0.0.1');
    t.after(() => socket.destroy());
    await once(socket, 'connect');
    const request = [
      'REGISTER sip:nowhere.test SIP/2.0',
      'Via: SIP/2.0/TCP 127.0.0.1:5099;branch=z9hG4bK-404-1;rport',
      'Via: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bK-earlier',
      'Max-Forwards: 70',
      'From: "Mallory" <sip:mallory@Nowhere.TEST>;tag=abc123',
      'To: <sip:mallory@nowhere.test>',
      'Call-ID: 404-test-call-id@127.0.0.1',
      'CSeq: 7 REGISTER',
      'Contact: <sip:mallory@127.0.0.1:5099;transport=tcp>',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    socket.write(request);
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    await once(socket, 'close');
    const [statusLine, ...rest] = text.split('\r\n');
    t.assert.equal(statusLine, 'SIP/2.0 404 Not Found');
    const headers = rest.slice(0, rest.indexOf(''));
    const values = (name: string): string[] =>
      headers
        .filter((h) => h.toLowerCase().startsWith(`${name.toLowerCase()}:`))
        .map((h) => h.slice(name.length + 1).trim());
    t.assert.deepEqual(values('Via'), [
      'SIP/2.0/TCP 127.0.0.1:5099;branch=z9hG4bK-404-1;rport',
      'SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bK-earlier',
    ]);
    t.assert.deepEqual(values('Call-ID'), ['404-test-call-id@127.0.0.1']);
    t.assert.deepEqual(values('CSeq'), ['7 REGISTER']);
    t.assert.deepEqual(values('From'), ['"Mallory" <sip:mallory@Nowhere.TEST>;tag=abc123']);
    t.assert.match(values('To')[0] ?? '', /^<sip:mallory@nowhere\.test>;tag=\S+$/);
    t.assert.deepEqual(values('Content-Length'), ['0']);
    t.assert.equal(a.requests().length, 0, 'nothing reached a registrar');
  },
);
