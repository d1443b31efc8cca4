import { test } from 'node:test';
import { proxySchema } from '../../src/config/schema-proxy.ts';
import {
  type ClientCertificate,
  certificateMatches,
  parseSubjectAltName,
} from '../../src/proxy/client-certificate.ts';
import type { RequestKind } from '../../src/proxy/protocol.ts';
import { chooseTarget } from '../../src/proxy/target.ts';

function service(ports: object, checkCertificate = false, name = 'pbx.example.com') {
  const [parsed] = proxySchema.parse({
    services: [
      { name, host: '10.0.0.5', ports: { sip: ports, h323: ports, ldap: ports }, checkCertificate },
    ],
  }).services;
  if (parsed === undefined) throw new Error('no service');
  return parsed;
}

const both = { tcp: 5060, tls: 5061 };
const trusted: ClientCertificate = {
  authorized: true,
  commonNames: ['alice'],
  subjectAltName: 'DNS:phone1.example.com, URI:sip:alice@example.com, email:alice@example.com',
};
const untrusted: ClientCertificate = { ...trusted, authorized: false };

// [case, ports, kind, client TLS, checkCertificate, certificate, identity, expected port]
const cases: [
  string,
  object,
  RequestKind,
  boolean,
  boolean,
  ClientCertificate | undefined,
  string | undefined,
  number,
][] = [
  ['both ports keep plain', both, 'sip', false, false, undefined, undefined, 5060],
  ['both ports keep TLS', both, 'sip', true, false, undefined, undefined, 5061],
  ['only tcp: plain even from TLS', { tcp: 5060 }, 'sip', true, false, undefined, undefined, 5060],
  ['only tls: TLS even from plain', { tls: 5061 }, 'sip', false, false, undefined, undefined, 5061],
  ['check: trusted CN', both, 'sip', true, true, trusted, 'alice', 5061],
  ['check: trusted DNS SAN', both, 'h323', true, true, trusted, 'PHONE1.example.com', 5061],
  [
    'check: trusted URI SAN as written',
    both,
    'sip',
    true,
    true,
    trusted,
    'sip:alice@example.com',
    5061,
  ],
  [
    'check: trusted URI SAN without its scheme',
    both,
    'sip',
    true,
    true,
    trusted,
    'alice@example.com',
    5061,
  ],
  ['check: trusted, other identity', both, 'sip', true, true, trusted, 'bob', 5060],
  ['check: trusted, no identity', both, 'sip', true, true, trusted, undefined, 5060],
  ['check: untrusted', both, 'sip', true, true, untrusted, 'alice', 5060],
  ['check: no certificate', both, 'h323', true, true, undefined, 'alice', 5060],
  ['check: only a tls port', { tls: 5061 }, 'sip', true, true, undefined, 'alice', 5061],
  ['check: only a tcp port', { tcp: 5060 }, 'sip', true, true, trusted, 'alice', 5060],
  ['check does not apply to ldap', both, 'ldap', true, true, undefined, undefined, 5061],
];

for (const [name, ports, kind, clientTls, check, certificate, identity, port] of cases) {
  test(`target: ${name}`, (t) => {
    const target = chooseTarget({
      service: service(ports, check),
      kind,
      clientTls,
      identity,
      certificate,
    });
    t.assert.deepEqual(target && { port: target.port, tls: target.tls }, {
      port,
      tls: port === 5061,
    });
  });
}

test('SNI is the service name only when it is a DNS name', (t) => {
  const sni = (name: string): string | undefined =>
    chooseTarget({
      service: service(both, false, name),
      kind: 'sip',
      clientTls: true,
      identity: undefined,
      certificate: undefined,
    })?.servername;
  t.assert.equal(sni('pbx.example.com'), 'pbx.example.com');
  t.assert.equal(sni('pbx.example.com.'), 'pbx.example.com');
  t.assert.equal(sni('192.0.2.1'), undefined);
  t.assert.equal(sni('gk/berlin'), undefined);
});

test("node's subjectaltname text splits into entries, quoted values included", (t) => {
  t.assert.deepEqual(parseSubjectAltName('DNS:a.example, IP Address:192.0.2.1, URI:sip:a@b'), [
    { type: 'DNS', value: 'a.example' },
    { type: 'IP Address', value: '192.0.2.1' },
    { type: 'URI', value: 'sip:a@b' },
  ]);
  // Since CVE-2021-44532 a value holding ", " is written as a JSON string.
  t.assert.deepEqual(parseSubjectAltName('DNS:"evil.example, DNS:alice", email:x@y'), [
    { type: 'DNS', value: 'evil.example, DNS:alice' },
    { type: 'email', value: 'x@y' },
  ]);
  t.assert.equal(
    certificateMatches(
      { authorized: true, commonNames: [], subjectAltName: 'DNS:"evil.example, DNS:alice"' },
      'alice',
    ),
    false,
  );
  t.assert.deepEqual(parseSubjectAltName(''), []);
});

test('a sip: URI subject alt name names its address and its user part', (t) => {
  const phone = (san: string): ClientCertificate => ({
    authorized: true,
    commonNames: ['phone 7'],
    subjectAltName: san,
  });
  t.assert.equal(certificateMatches(phone('URI:sip:alice@example.com'), 'alice'), true);
  t.assert.equal(certificateMatches(phone('URI:sips:Alice@example.com'), 'alice'), true);
  t.assert.equal(certificateMatches(phone('URI:sip:alice@example.com'), 'alice@example.com'), true);
  t.assert.equal(certificateMatches(phone('URI:sip:alicia@example.com'), 'alice'), false);
  t.assert.equal(certificateMatches(phone('URI:sip:alice@example.com'), 'bob@example.com'), false);
  t.assert.equal(certificateMatches(phone('URI:https://alice@example.com'), 'alice'), false);
  t.assert.equal(certificateMatches(phone('email:alice@example.com'), 'alice'), false);
  t.assert.equal(
    certificateMatches({ ...phone('URI:sip:alice@example.com'), authorized: false }, 'alice'),
    false,
  );
});
