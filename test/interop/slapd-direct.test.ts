// The LDAP interop harness checked without pbxgate: ldap-utils against throwaway slapd instances
// (support/slapd.ts): simple binds with right and wrong passwords over ldap://, ldaps:// and
// StartTLS, a search, two instances with different suffixes at once, and a pldap:// listener
// that takes the client address from a PROXY v2 header sent by hand.

import { type Socket, connect } from 'node:net';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import type { ToolResult } from './support/process.ts';
import { type Slapd, ldapSearch, ldapWhoami, startSlapd } from './support/slapd.ts';
import { requireTool } from './support/tools.ts';

const TIMEOUT = { timeout: 60_000 };
const TOOLS = ['slapd', 'slapadd', 'ldapwhoami', 'ldapsearch', 'openssl', 'ss'];
const ALICE = 'cn=alice,dc=a,dc=test';

function output(run: ToolResult): string {
  return `exit ${run.code ?? run.signal ?? '?'}\n${run.stdout}${run.stderr}`;
}

function assertWhoami(t: TestContext, run: ToolResult, dn: string): void {
  t.assert.equal(run.code, 0, output(run));
  t.assert.equal(run.stdout.trim(), `dn:${dn}`, output(run));
}

function assertInvalidCredentials(t: TestContext, run: ToolResult): void {
  t.assert.equal(run.code, 49, output(run));
  t.assert.match(run.stderr, /Invalid credentials \(49\)/);
}

test('ldapwhoami and ldapsearch against slapd: ldap://, ldaps://, StartTLS', TIMEOUT, async (t) => {
  if (!requireTool(t, ...TOOLS)) return;
  const slapd = await startSlapd(t, { suffix: 'dc=a,dc=test', users: { alice: 'alice-pw1' } });
  const alice = { dn: ALICE, password: 'alice-pw1' };

  assertWhoami(t, await ldapWhoami({ url: slapd.url, ...alice }), ALICE);
  assertInvalidCredentials(t, await ldapWhoami({ url: slapd.url, dn: ALICE, password: 'wrong' }));
  assertWhoami(t, await ldapWhoami({ url: slapd.tlsUrl, ...alice }), ALICE);
  assertWhoami(t, await ldapWhoami({ url: slapd.url, startTls: true, ...alice }), ALICE);
  assertInvalidCredentials(
    t,
    await ldapWhoami({ url: slapd.tlsUrl, dn: ALICE, password: 'wrong' }),
  );
  // The client's source address is chosen (as a blacklisting test needs) and slapd logs it.
  assertWhoami(t, await ldapWhoami({ url: slapd.url, sourceIp: '127.0.0.5', ...alice }), ALICE);

  const search = await ldapSearch({
    url: slapd.url,
    base: 'dc=a,dc=test',
    filter: '(uid=alice)',
    attributes: ['cn', 'mail'],
  });
  t.assert.equal(search.code, 0, output(search));
  t.assert.match(search.stdout, /^dn: cn=alice,dc=a,dc=test$/m);
  t.assert.match(search.stdout, /^mail: alice@a\.test$/m);
  t.assert.doesNotMatch(search.stdout, /userPassword/);

  await slapd.waitForBinds(7);
  const connections = slapd.connections();
  t.assert.deepEqual(
    connections.map((c) => [c.ip, c.localPort, c.tls]),
    [
      ['127.0.0.1', slapd.port, false],
      ['127.0.0.1', slapd.port, false],
      ['127.0.0.1', slapd.tlsPort, true],
      ['127.0.0.1', slapd.port, true],
      ['127.0.0.1', slapd.tlsPort, true],
      ['127.0.0.5', slapd.port, false],
      ['127.0.0.1', slapd.port, false],
    ],
  );
  t.assert.deepEqual(
    slapd.binds().map((b) => [b.dn, b.result]),
    [
      [ALICE, 0],
      [ALICE, 49],
      [ALICE, 0],
      [ALICE, 0],
      [ALICE, 49],
      [ALICE, 0],
      ['', 0],
    ],
  );
});

test('two slapd instances with different suffixes run side by side', TIMEOUT, async (t) => {
  if (!requireTool(t, ...TOOLS)) return;
  const [a, b] = await Promise.all([
    startSlapd(t, { suffix: 'dc=a,dc=test', users: { alice: 'alice-pw1' } }),
    startSlapd(t, { suffix: 'dc=b,dc=test', users: { bob: 'bob-pw2', alice: 'other-pw' } }),
  ]);
  t.assert.notEqual(a.port, b.port);
  assertWhoami(t, await ldapWhoami({ url: a.url, dn: ALICE, password: 'alice-pw1' }), ALICE);
  const bob = 'cn=bob,dc=b,dc=test';
  assertWhoami(t, await ldapWhoami({ url: b.tlsUrl, dn: bob, password: 'bob-pw2' }), bob);
  // Each holds only its own suffix: a's user is unknown to b, b's alice is another entry.
  assertInvalidCredentials(t, await ldapWhoami({ url: b.url, dn: ALICE, password: 'alice-pw1' }));
  assertInvalidCredentials(
    t,
    await ldapWhoami({ url: a.url, dn: 'cn=alice,dc=a,dc=test', password: 'other-pw' }),
  );
  const rootSearch = await ldapSearch({
    url: b.url,
    dn: b.rootDn,
    password: b.rootPassword,
    base: 'dc=b,dc=test',
    filter: '(objectClass=inetOrgPerson)',
    attributes: ['userPassword'],
  });
  t.assert.equal(rootSearch.code, 0, output(rootSearch));
  t.assert.equal(rootSearch.stdout.match(/^userPassword::? /gm)?.length, 2, rootSearch.stdout);
});

function ber(tag: number, body: Uint8Array): Buffer {
  const n = body.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...length]), body]);
}

/** An LDAPv3 simple BindRequest (messageId < 128), for hand-made clients (e.g. after a PROXY header). */
function ldapSimpleBindRequest(messageId: number, dn: string, password: string): Buffer {
  const bind = ber(
    0x60,
    Buffer.concat([
      ber(0x02, Buffer.from([3])),
      ber(0x04, Buffer.from(dn)),
      ber(0x80, Buffer.from(password)),
    ]),
  );
  return ber(0x30, Buffer.concat([ber(0x02, Buffer.from([messageId])), bind]));
}

/** The resultCode of a BindResponse with short-form lengths (as slapd sends), or undefined. */
function ldapBindResultCode(response: Uint8Array): number | undefined {
  // 30 LL 02 01 ID 61 LL 0a 01 CODE
  const bytes = Buffer.from(response);
  if (bytes[0] !== 0x30 || bytes[2] !== 0x02) return undefined;
  const afterId = 4 + (bytes[3] ?? 0);
  if (bytes[afterId] !== 0x61 || bytes[afterId + 2] !== 0x0a) return undefined;
  return bytes[afterId + 4];
}

/** PROXY v2, PROXY command, TCP over IPv4, written out byte by byte. */
function proxyV2(srcIp: readonly number[], srcPort: number, dstPort: number): Buffer {
  const signature = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
  const ports = [srcPort >> 8, srcPort & 0xff, dstPort >> 8, dstPort & 0xff];
  return Buffer.from([...signature, 0x21, 0x11, 0x00, 12, ...srcIp, 127, 0, 0, 1, ...ports]);
}

/** The resultCode of a simple bind sent after `preface`; undefined when the connection closed. */
async function bindAfter(port: number, preface: Buffer, dn: string, password: string) {
  const socket: Socket = connect({ host: '127.0.0.1', port });
  try {
    return await new Promise<number | undefined>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error('no BindResponse after 3 s'));
      }, 3000);
      socket.once('connect', () => {
        socket.write(Buffer.concat([preface, ldapSimpleBindRequest(1, dn, password)]));
      });
      socket.once('data', (data) => {
        clearTimeout(timer);
        resolve(ldapBindResultCode(data));
      });
      socket.once('close', () => {
        clearTimeout(timer);
        resolve(undefined);
      });
      socket.once('error', () => undefined);
    });
  } finally {
    socket.destroy();
  }
}

test('slapd pldap:// takes the client address from a PROXY v2 header', TIMEOUT, async (t) => {
  if (!requireTool(t, ...TOOLS)) return;
  const slapd: Slapd = await startSlapd(t, {
    suffix: 'dc=a,dc=test',
    users: { alice: 'alice-pw1' },
    proxyProtocol: true,
  });
  const port = slapd.proxyPort ?? 0;
  const header = proxyV2([127, 0, 0, 99], 0x1234, port);
  t.assert.equal(await bindAfter(port, header, ALICE, 'alice-pw1'), 0);
  t.assert.equal(await bindAfter(port, header, ALICE, 'wrong'), 49);
  // Without the header the pldap:// listener drops the connection ...
  const plain = await ldapWhoami({ url: slapd.proxyUrl ?? '', dn: ALICE, password: 'alice-pw1' });
  t.assert.notEqual(plain.code, 0, output(plain));
  // ... while ldap:// on the other port takes none.
  assertWhoami(t, await ldapWhoami({ url: slapd.url, dn: ALICE, password: 'alice-pw1' }), ALICE);

  await slapd.waitForBinds(3);
  const proxied = slapd.connections().filter((c) => c.localPort === port);
  t.assert.equal(proxied.length, 2, JSON.stringify(slapd.connections()));
  for (const connection of proxied) {
    t.assert.equal(connection.ip, '127.0.0.99');
    t.assert.equal(connection.port, 0x1234, 'slapd reads the v2 port in network order');
    t.assert.match(connection.via ?? '', /^127\.0\.0\.1:\d+$/);
  }
  t.assert.deepEqual(
    slapd.binds().map((b) => b.result),
    [0, 49, 0],
  );
});
