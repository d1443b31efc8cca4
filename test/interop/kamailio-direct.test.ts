// The SIP interop harness checked without pbxgate: sipp registers directly at the Kamailio
// registrar (support/kamailio.ts, support/sipp.ts) over TCP and TLS, with right and wrong
// passwords and from two loopback addresses; Kamailio with tcp_accept_haproxy takes the client
// address from a PROXY v2 header sent by hand, and still accepts connections without one.

import { type Socket, connect as tcpConnect } from 'node:net';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { kamailioHasTls, requireKamailioTls, startKamailio } from './support/kamailio.ts';
import { type SippResult, describeSipp, runSipp } from './support/sipp.ts';
import { requireTool } from './support/tools.ts';

const TIMEOUT = { timeout: 90_000 };
const USERS = { 'alice@a.test': 'alice-pw1', 'bob@b.test': 'bob-pw2' };

function assertAll(t: TestContext, run: SippResult, calls: number, responses: object): void {
  const why = describeSipp(run);
  t.assert.equal(run.timedOut, false, why);
  t.assert.equal(run.code, 0, why);
  t.assert.equal(run.successful, calls, why);
  t.assert.equal(run.failed, 0, why);
  t.assert.deepEqual(run.responses, responses, why);
}

test(
  'sipp REGISTER over TCP: right password registers, wrong password gets 403',
  TIMEOUT,
  async (t) => {
    if (!requireTool(t, 'kamailio', 'sipp', 'ss')) return;
    const kamailio = await startKamailio(t, { users: USERS });
    const target = { port: kamailio.port, transport: 'tcp' as const };

    const alice = await runSipp({
      ...target,
      user: 'alice',
      domain: 'a.test',
      password: 'alice-pw1',
      rate: 20,
      calls: 10,
    });
    assertAll(t, alice, 10, { 401: 10, 200: 10 });
    // From another loopback address, for the other domain.
    const bob = await runSipp({
      ...target,
      user: 'bob',
      domain: 'b.test',
      password: 'bob-pw2',
      localIp: '127.0.0.5',
      calls: 2,
    });
    assertAll(t, bob, 2, { 401: 2, 200: 2 });

    // The wrong password with the registering scenario: every call fails on the 403.
    const wrong = await runSipp({
      ...target,
      user: 'alice',
      domain: 'a.test',
      password: 'nope',
      rate: 20,
      calls: 3,
    });
    t.assert.equal(wrong.code, 1, describeSipp(wrong));
    t.assert.equal(wrong.successful, 0, describeSipp(wrong));
    t.assert.equal(wrong.failed, 3, describeSipp(wrong));
    t.assert.deepEqual(wrong.responses, { 401: 3, 403: 3 }, describeSipp(wrong));
    // The wrong-password scenario counts those refusals as its successes ...
    const refused = await runSipp({
      ...target,
      scenario: 'register-rejected',
      user: 'alice',
      domain: 'a.test',
      password: 'nope',
      rate: 20,
      calls: 5,
    });
    assertAll(t, refused, 5, { 401: 5, 403: 5 });
    // ... and fails when the password is right after all.
    const accepted = await runSipp({
      ...target,
      scenario: 'register-rejected',
      user: 'bob',
      domain: 'b.test',
      password: 'bob-pw2',
    });
    t.assert.equal(accepted.code, 1, describeSipp(accepted));
    t.assert.deepEqual(accepted.responses, { 401: 1, 200: 1 }, describeSipp(accepted));
    // A domain Kamailio does not serve, and a user it does not know.
    const foreign = await runSipp({
      ...target,
      user: 'alice',
      domain: 'c.test',
      password: 'alice-pw1',
    });
    t.assert.deepEqual(foreign.responses, { 404: 1 }, describeSipp(foreign));
    const unknown = await runSipp({
      ...target,
      user: 'carol',
      domain: 'a.test',
      password: 'alice-pw1',
    });
    t.assert.deepEqual(unknown.responses, { 401: 1, 403: 1 }, describeSipp(unknown));

    await kamailio.waitForReply((r) => r.fromUser === 'carol' && r.code === 403);
    const requests = kamailio.requests();
    const replies = kamailio.replies();
    const count = <T>(list: readonly T[], match: (item: T) => boolean): number =>
      list.filter(match).length;
    // bob's 2 calls x 2 REGISTERs came from sipp -i 127.0.0.5, and nothing else did.
    const fromDot5 = requests.filter((r) => r.sourceIp === '127.0.0.5');
    t.assert.equal(fromDot5.length, 4, JSON.stringify(fromDot5));
    t.assert.equal(
      count(fromDot5, (r) => r.fromUser === 'bob' && r.fromDomain === 'b.test'),
      4,
    );
    t.assert.equal(
      count(requests, (r) => r.proto !== 'tcp' || r.method !== 'REGISTER'),
      0,
    );
    t.assert.equal(
      count(replies, (r) => r.code === 200),
      10 + 2 + 1,
    );
    t.assert.equal(
      count(replies, (r) => r.code === 403 && r.fromUser === 'alice'),
      3 + 5,
    );
    t.assert.equal(
      count(replies, (r) => r.code === 403 && r.fromUser === 'carol'),
      1,
    );
    t.assert.equal(
      count(replies, (r) => r.code === 404 && r.fromDomain === 'c.test'),
      1,
    );
  },
);

test(
  'sipp REGISTER over TLS (sipp -> Node TCP-to-TLS bridge -> Kamailio tls)',
  TIMEOUT,
  async (t) => {
    if (!requireTool(t, 'kamailio', 'sipp', 'ss', 'openssl') || !requireKamailioTls(t)) return;
    const kamailio = await startKamailio(t, { users: USERS, tls: true });
    const tlsPort = kamailio.tlsPort ?? 0;
    const target = { port: tlsPort, transport: 'tls' as const, localIp: '127.0.0.6' };
    const bob = await runSipp({
      ...target,
      user: 'bob',
      domain: 'b.test',
      password: 'bob-pw2',
      rate: 20,
      calls: 5,
    });
    assertAll(t, bob, 5, { 401: 5, 200: 5 });
    t.assert.equal(bob.tlsConnections, 1, 'one TLS connection carries every REGISTER (t1)');
    const refused = await runSipp({
      ...target,
      scenario: 'register-rejected',
      user: 'bob',
      domain: 'b.test',
      password: 'x',
    });
    assertAll(t, refused, 1, { 401: 1, 403: 1 });
    await kamailio.waitForRequests((r) => r.proto === 'tls', 12);
    const requests = kamailio.requests();
    t.assert.equal(requests.length, 12, JSON.stringify(requests));
    t.assert.equal(
      requests.every((r) => r.proto === 'tls' && r.sourceIp === '127.0.0.6'),
      true,
    );
  },
);

/** Sends `bytes` (on TLS after `preface` in the clear, if asked) and returns the first response head. */
async function exchange(
  port: number,
  bytes: string,
  preface: Buffer,
  tls: boolean,
): Promise<string> {
  const raw: Socket = tcpConnect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    raw.once('connect', resolve);
    raw.once('error', reject);
  });
  raw.write(preface);
  const socket = tls ? tlsConnect({ socket: raw, rejectUnauthorized: false }) : raw;
  try {
    return await new Promise<string>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => {
        reject(new Error(`no SIP response after 3 s; got: ${text}`));
      }, 3000);
      socket.setEncoding('latin1').on('data', (chunk: string) => {
        text += chunk;
        if (text.includes('\r\n\r\n')) {
          clearTimeout(timer);
          resolve(text);
        }
      });
      socket.once('error', (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      });
      socket.write(bytes);
    });
  } finally {
    socket.destroy();
    raw.destroy();
  }
}

/** PROXY v2, PROXY command, TCP over IPv4, written out byte by byte. */
function proxyV2(srcIp: readonly number[], srcPort: number, dstPort: number): Buffer {
  const signature = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
  const ports = [srcPort >> 8, srcPort & 0xff, dstPort >> 8, dstPort & 0xff];
  return Buffer.from([...signature, 0x21, 0x11, 0x00, 12, ...srcIp, 127, 0, 0, 1, ...ports]);
}

function options(callId: string): string {
  return [
    'OPTIONS sip:a.test SIP/2.0',
    `Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK-${callId};rport`,
    'Max-Forwards: 70',
    'From: <sip:probe@a.test>;tag=1',
    'To: <sip:a.test>',
    `Call-ID: ${callId}`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

test(
  'Kamailio with tcp_accept_haproxy takes the client from a PROXY v2 header',
  TIMEOUT,
  async (t) => {
    if (!requireTool(t, 'kamailio', 'ss')) return;
    const tls = kamailioHasTls();
    const kamailio = await startKamailio(t, { users: USERS, proxyProtocol: true, tls });
    const header = proxyV2([127, 0, 0, 99], 0x1234, kamailio.port);

    const proxied = await exchange(kamailio.port, options('pp-tcp'), header, false);
    t.assert.match(proxied, /^SIP\/2\.0 200 OK\r\n/);
    t.assert.match(proxied, /\r\nVia: [^\r]*;received=127\.0\.0\.99/);
    const request = await kamailio.waitForRequest((r) => r.callId === 'pp-tcp');
    t.assert.equal(request.sourceIp, '127.0.0.99');
    // Kamailio 5.6.3 reads the v2 ports byte-swapped (kamailio/kamailio#3683): 0x1234 -> 0x3412.
    t.assert.equal(
      [0x1234, 0x3412].includes(request.sourcePort),
      true,
      `port ${request.sourcePort}`,
    );

    // The header is optional: a plain connection is still served, with its own address.
    const plain = await exchange(kamailio.port, options('pp-none'), Buffer.alloc(0), false);
    t.assert.match(plain, /\r\nVia: [^\r]*;received=127\.0\.0\.1/);
    t.assert.equal(
      (await kamailio.waitForRequest((r) => r.callId === 'pp-none')).sourceIp,
      '127.0.0.1',
    );
    const sipp = await runSipp({
      port: kamailio.port,
      user: 'alice',
      domain: 'a.test',
      password: 'alice-pw1',
      localIp: '127.0.0.7',
    });
    assertAll(t, sipp, 1, { 401: 1, 200: 1 });

    if (kamailio.tlsPort === undefined) return;
    // On the TLS listener the header comes first, in the clear, then the TLS handshake.
    const overTls = await exchange(
      kamailio.tlsPort,
      options('pp-tls'),
      proxyV2([127, 0, 0, 98], 0x2222, kamailio.tlsPort),
      true,
    );
    t.assert.match(overTls, /\r\nVia: [^\r]*;received=127\.0\.0\.98/);
    const tlsRequest = await kamailio.waitForRequest((r) => r.callId === 'pp-tls');
    t.assert.equal(tlsRequest.sourceIp, '127.0.0.98');
    t.assert.equal(tlsRequest.proto, 'tls');
  },
);
