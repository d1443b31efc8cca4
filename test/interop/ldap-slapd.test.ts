// Issue 5, LDAP must-shows: ldapwhoami and ldapsearch (ldap-utils) with simple binds through
// pbxgate to real slapd servers, over LDAP, LDAPS and StartTLS (answered by pbxgate itself), two
// domains routed to two backends by the bind DN; a wrong password is counted as suspicious, and a
// bind for an unknown domain gets pbxgate's own LDAP result.

import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { type Pbxgate, startPbxgate } from './support/pbxgate.ts';
import { findFreePorts } from './support/ports.ts';
import { type Slapd, ldapSearch, ldapWhoami, startSlapd } from './support/slapd.ts';
import { requireTool } from './support/tools.ts';

const TIMEOUT = { timeout: 90_000 };
const ALICE = { dn: 'cn=alice,dc=a,dc=test', password: 'alice-pw' };
const BOB = { dn: 'cn=bob,dc=b,dc=test', password: 'bob-pw' };

interface Setup {
  readonly a: Slapd;
  readonly b: Slapd;
  readonly pbxgate: Pbxgate;
  readonly ldap: string;
  readonly ldaps: string;
}

async function setup(t: TestContext): Promise<Setup> {
  const [a, b] = await Promise.all([
    startSlapd(t, { suffix: 'dc=a,dc=test', users: { alice: ALICE.password } }),
    startSlapd(t, { suffix: 'dc=b,dc=test', users: { bob: BOB.password } }),
  ]);
  const port = await findFreePorts({ protos: ['tcp'], count: 2 });
  const pbxgate = await startPbxgate(
    t,
    [
      // One suspicious event blacklists: each refusal below comes from its own loopback address.
      'fraud: { suspiciousPerMinute: 1, blacklistMinutes: 5 }',
      'proxy:',
      `  listen: { ldap: 127.0.0.1:${port}, ldaps: 127.0.0.1:${port + 1} }`,
      '  services:',
      // Domain a.test keeps the client's encryption; b.test always goes to slapd over LDAPS.
      `    - { name: a.test, host: 127.0.0.1, ports: { ldap: { tcp: ${a.port}, tls: ${a.tlsPort} } } }`,
      `    - { name: b.test, host: 127.0.0.1, ports: { ldap: { tls: ${b.tlsPort} } } }`,
      '',
    ].join('\n'),
  );
  return {
    a,
    b,
    pbxgate,
    ldap: `ldap://127.0.0.1:${port}`,
    ldaps: `ldaps://127.0.0.1:${port + 1}`,
  };
}

/** The reason pbxgate logged when it blacklisted `ip` (undefined: not blacklisted). */
async function blacklistReason(pbxgate: Pbxgate, ip: string): Promise<unknown> {
  const line = await pbxgate.waitForLog((l) => l['msg'] === 'blacklisted' && l['key'] === ip);
  return line?.['reason'];
}

test(
  'ldapwhoami over LDAP, LDAPS and StartTLS through pbxgate, two domains to two slapds',
  TIMEOUT,
  async (t) => {
    if (!requireTool(t, 'slapd', 'ldapwhoami', 'ldapsearch', 'ss')) return;
    const { a, b, ldap, ldaps } = await setup(t);
    const cases = [
      { url: ldap, who: ALICE, startTls: false },
      { url: ldaps, who: ALICE, startTls: false },
      { url: ldap, who: ALICE, startTls: true },
      { url: ldap, who: BOB, startTls: false },
      { url: ldaps, who: BOB, startTls: false },
      { url: ldap, who: BOB, startTls: true },
    ];
    for (const { url, who, startTls } of cases) {
      const run = await ldapWhoami({ url, dn: who.dn, password: who.password, startTls });
      t.assert.equal(run.code, 0, `${url} ${who.dn} starttls=${startTls}: ${run.stderr}`);
      t.assert.equal(run.stdout.trim(), `dn:${who.dn}`);
    }
    const found = await ldapSearch({
      url: ldap,
      dn: ALICE.dn,
      password: ALICE.password,
      base: 'dc=a,dc=test',
      filter: '(cn=alice)',
      attributes: ['uid'],
    });
    t.assert.equal(found.code, 0, found.stderr);
    t.assert.match(found.stdout, /^dn: cn=alice,dc=a,dc=test$/m);
    t.assert.match(found.stdout, /^uid: alice$/m);

    // Each domain reached its own slapd: a.test plain and TLS as the client spoke, b.test always TLS.
    const fromA = await a.waitForBinds(4);
    t.assert.deepEqual([...new Set(fromA.map((bind) => bind.dn))], [ALICE.dn]);
    const aTls = a.connections().map((c) => c.tls);
    t.assert.equal(aTls.includes(true) && aTls.includes(false), true, 'a.test: plain and TLS');
    const fromB = await b.waitForBinds(3);
    t.assert.deepEqual([...new Set(fromB.map((bind) => bind.dn))], [BOB.dn]);
    t.assert.equal(
      b.connections().every((c) => c.tls),
      true,
      'b.test: always LDAPS',
    );
  },
);

test(
  'a wrong password is counted; an unknown domain and an anonymous bind get pbxgate’s own result',
  TIMEOUT,
  async (t) => {
    if (!requireTool(t, 'slapd', 'ldapwhoami', 'ss')) return;
    const { a, ldap, pbxgate } = await setup(t);
    const wrong = await ldapWhoami({
      url: ldap,
      dn: ALICE.dn,
      password: 'guess',
      sourceIp: '127.0.0.21',
    });
    t.assert.equal(wrong.code, 49, wrong.stderr);
    t.assert.match(wrong.stderr, /Invalid credentials/);
    const before = a.connections().length;
    const unknown = await ldapWhoami({
      url: ldap,
      dn: 'cn=eve,dc=nowhere,dc=test',
      password: 'x',
      sourceIp: '127.0.0.22',
    });
    t.assert.equal(unknown.code, 53, unknown.stderr); // unwillingToPerform, from pbxgate
    const anonymous = await ldapWhoami({ url: ldap, sourceIp: '127.0.0.23' });
    t.assert.equal(anonymous.code, 48, anonymous.stderr); // inappropriateAuthentication
    t.assert.equal(a.connections().length, before, 'neither reached a slapd');
    t.assert.equal(await blacklistReason(pbxgate, '127.0.0.21'), 'ldap.invalid-credentials');
    t.assert.equal(await blacklistReason(pbxgate, '127.0.0.22'), 'proxy.unknown-service');
    t.assert.equal((await blacklistReason(pbxgate, '127.0.0.23')) !== undefined, true);
    // The blacklisted client reaches nothing, even with the right password.
    const after = await ldapWhoami({
      url: ldap,
      dn: ALICE.dn,
      password: ALICE.password,
      sourceIp: '127.0.0.21',
    });
    t.assert.notEqual(after.code, 0);
    t.assert.equal(a.connections().length, before);
  },
);

test(
  'PROXY protocol v2 to slapd’s pldap:// listener: slapd sees the client’s own address',
  TIMEOUT,
  async (t) => {
    if (!requireTool(t, 'slapd', 'ldapwhoami', 'ss')) return;
    const slapd = await startSlapd(t, {
      suffix: 'dc=c,dc=test',
      users: { carol: 'carol-pw' },
      proxyProtocol: true,
    });
    const port = await findFreePorts({ protos: ['tcp'] });
    await startPbxgate(
      t,
      [
        'proxy:',
        `  listen: { ldap: 127.0.0.1:${port} }`,
        `  services: [{ name: c.test, host: 127.0.0.1, ports: { ldap: { tcp: ${slapd.proxyPort} } }, proxyProtocol: v2 }]`,
        '',
      ].join('\n'),
    );
    const dn = 'cn=carol,dc=c,dc=test';
    const run = await ldapWhoami({
      url: `ldap://127.0.0.1:${port}`,
      dn,
      password: 'carol-pw',
      sourceIp: '127.0.0.31',
    });
    t.assert.equal(run.code, 0, run.stderr);
    t.assert.equal(run.stdout.trim(), `dn:${dn}`);
    await slapd.waitForBinds(1);
    const seen = slapd.connections().filter((c) => c.via !== undefined);
    t.assert.equal(seen.length, 1);
    t.assert.equal(seen[0]?.ip, '127.0.0.31', 'the address from the PROXY header');
    t.assert.match(seen[0]?.via ?? '', /^127\.0\.0\.1/, 'the TCP peer is pbxgate');
  },
);
