// The routing key of a bind name (protocols.md §4.2): down-level names, DNs per RFC 4514, UPNs.

import { test } from 'node:test';
import fc from 'fast-check';
import { normalizeDomain, readBindName } from '../../../src/proxy/ldap/bind-name.ts';
import { parseDn } from '../../../src/proxy/ldap/dn.ts';

const domains: readonly [string, string, string | undefined][] = [
  ['innovaphone\\alice', 'innovaphone', 'alice'],
  ['CORP\\Bob', 'corp', 'Bob'],
  ['example.com\\bob', 'example.com', 'bob'],
  ['CN=user, DC=domain, DC=com', 'domain.com', 'user'],
  ['cn=x,dc=A,dc=B', 'a.b', 'x'],
  ['uid=admin,cn=users,cn=accounts,dc=demo1,dc=freeipa,dc=org', 'demo1.freeipa.org', 'admin'],
  [
    'cn=Administrator,cn=Users,dc=cloudshark-a,dc=example,dc=com',
    'cloudshark-a.example.com',
    'Administrator',
  ],
  ['cn=admin,dc=nodomain', 'nodomain', 'admin'],
  ['cn=admin,0.9.2342.19200300.100.1.25=example,DC=com', 'example.com', 'admin'],
  ['cn=admin,domainComponent=example,dc=com', 'example.com', 'admin'],
  ['  CN = user ,  DC = example ,DC= com  ', 'example.com', 'user'],
  ['cn=a+uid=b,dc=x+ou=y,dc=z', 'x.z', 'a'],
  ['dc=a,cn=x,dc=b', 'a.b', undefined],
  ['cn=Smith\\, John,dc=example,dc=com', 'example.com', 'Smith, John'],
  ['cn=\\C3\\A9mile,dc=example,dc=com', 'example.com', 'émile'],
  ['cn=émile,dc=example,dc=com', 'example.com', 'émile'],
  ['cn=x,dc=exa\\6dple,dc=com', 'example.com', 'x'],
  ['cn=x\\2bz,dc=example,dc=com', 'example.com', 'x+z'],
  ['cn=a=b,dc=example,dc=com', 'example.com', 'a=b'],
  ['cn=#04024869,dc=example,dc=com', 'example.com', undefined],
  ['cn=x,dc=example,dc=com.', 'example.com', 'x'],
  ['alice@example.com', 'example.com', 'alice'],
  ['Alice@Example.COM.', 'example.com', 'Alice'],
  ['@example.com', 'example.com', undefined],
];

for (const [name, domain, identity] of domains) {
  test(`the bind name "${name}" routes to ${domain}`, (t) => {
    t.assert.deepEqual(readBindName(name), { kind: 'domain', domain, identity });
  });
}

const noDomain: readonly [string, string][] = [
  ['', 'ldap.no-domain'],
  ['User1', 'ldap.no-domain'],
  ['cn=user,ou=people', 'ldap.no-domain'],
  ['cn=admin', 'ldap.no-domain'],
  ['cn=x,dc=,dc=com', 'ldap.no-domain'],
  ['cn=x,dc=ex\\2Cample,dc=com', 'ldap.no-domain'], // decodes to "ex,ample"
  ['cn=x,dc=#16076578616d706c65,dc=com', 'ldap.no-domain'], // a BER value is not decoded
  ['cn=x,dc=a b,dc=com', 'ldap.no-domain'],
  ['cn=x,dc=com\\ ', 'ldap.no-domain'], // the escaped trailing space is part of the value
  ['cn=x,dc=a.,dc=com', 'ldap.no-domain'], // an empty label
  ['\\alice', 'ldap.no-domain'],
  ['bad domain\\alice', 'ldap.no-domain'],
  ['a@b@example.com', 'ldap.no-domain'],
  ['alice@', 'ldap.no-domain'],
  [`cn=x,dc=${'a'.repeat(254)}`, 'ldap.no-domain'],
  ['cn=x;dc=evil,dc=com', 'ldap.invalid-dn'], // RFC 2253 parsers split at ";"
  ['cn="x,dc=evil",dc=com', 'ldap.invalid-dn'], // RFC 1779 quoting
  ['cn=<x>,dc=com', 'ldap.invalid-dn'],
  ['cn=x,dc=com,', 'ldap.invalid-dn'],
  ['cn=x,,dc=com', 'ldap.invalid-dn'],
  ['=x,dc=com', 'ldap.invalid-dn'],
  ['c n=x,dc=com', 'ldap.invalid-dn'],
  ['cn=x\\', 'ldap.invalid-dn'],
  ['cn=x\\q,dc=com', 'ldap.invalid-dn'],
  ['cn=\\C3,dc=com', 'ldap.invalid-dn'], // not UTF-8
  ['cn=#0g,dc=com', 'ldap.invalid-dn'],
  ['cn=#0402 x,dc=com', 'ldap.invalid-dn'],
  ['OID.0.9.2342.19200300.100.1.25=com', 'ldap.invalid-dn'],
];

for (const [name, reason] of noDomain) {
  test(`the bind name "${name.slice(0, 40)}" routes nowhere (${reason})`, (t) => {
    t.assert.deepEqual(readBindName(name), { kind: 'none', reason });
  });
}

test('parses RDNs with their multi-valued parts, types lower-cased, hex values left encoded', (t) => {
  t.assert.deepEqual(parseDn('CN=a+UID=b, OU=x\\,y,2.5.4.3=#0401'), [
    [
      { type: 'cn', value: 'a' },
      { type: 'uid', value: 'b' },
    ],
    [{ type: 'ou', value: 'x,y' }],
    [{ type: '2.5.4.3', value: undefined }],
  ]);
  t.assert.deepEqual(parseDn(''), []);
  t.assert.deepEqual(parseDn('cn=\\ x\\20'), [[{ type: 'cn', value: ' x ' }]]);
  t.assert.deepEqual(parseDn('cn=\\#1\\\\'), [[{ type: 'cn', value: '#1\\' }]]);
});

test('normalizes service names for comparison', (t) => {
  t.assert.equal(normalizeDomain('Example.COM.'), 'example.com');
  t.assert.equal(normalizeDomain('example.com'), 'example.com');
});

const label = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,10}$/);

test('generated DNs route to their DC parts whatever the case and spacing', () => {
  fc.assert(
    fc.property(
      fc.string({ maxLength: 12 }),
      fc.array(label, { minLength: 1, maxLength: 4 }),
      fc.boolean(),
      fc.constantFrom('', ' ', '  '),
      (user, labels, upper, space) => {
        const escaped = user
          .replace(/[\\,+";<>=#]/g, (c) => `\\${c}`)
          .replace(/\0/g, '\\00')
          .replace(/^ | $/g, '\\ ');
        const dc = upper ? 'DC' : 'dc';
        const dn = [
          `cn=${escaped}`,
          ...labels.map((l) => `${dc}${space}=${space}${upper ? l.toUpperCase() : l}`),
        ].join(`${space},${space}`);
        const read = readBindName(dn);
        return (
          read.kind === 'domain' &&
          read.domain === labels.join('.') &&
          read.identity === (user === '' ? undefined : user)
        );
      },
    ),
  );
});

test('arbitrary strings never make the name reader throw', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 80, unit: 'binary' }), (name) => {
      readBindName(name);
      parseDn(name);
    }),
  );
  fc.assert(
    fc.property(
      fc.array(
        fc.constantFrom(
          'cn',
          'dc',
          '=',
          ',',
          '+',
          '\\',
          '2C',
          'C3',
          '#',
          ' ',
          'a',
          '.',
          '@',
          ';',
          '"',
        ),
        {
          maxLength: 30,
        },
      ),
      (parts) => {
        readBindName(parts.join(''));
      },
    ),
  );
});
