// The routing keys: the innovaphone gatekeeper-ID syntax `[physical@]gk[/location]` with its
// `primary:secondary` form, and the called party's domain of a Setup without registration.

import { test } from 'node:test';
import { calledDomain } from '../../../src/proxy/h323/called-domain.ts';
import type { Alias } from '../../../src/proxy/h323/h225-common.ts';
import { gatekeeperServices, parseGatekeeperId } from '../../../src/proxy/h323/gatekeeper-id.ts';
import type { StandbyRole } from '../../../src/proxy/h323/limits.ts';
import { identityOf } from '../../../src/proxy/h323/route.ts';

function services(id: string, role: StandbyRole = 'primary'): string[] | undefined {
  const parsed = parseGatekeeperId(id, role);
  return parsed === undefined ? undefined : gatekeeperServices(parsed);
}

const forms: readonly [string, string[], string[]][] = [
  ['pbx.example.com', ['pbx.example.com'], ['pbx.example.com']],
  ['desk7@pbx.example.com', ['pbx.example.com'], ['pbx.example.com']],
  [
    'pbx.example.com/site2',
    ['pbx.example.com/site2', 'pbx.example.com'],
    ['pbx.example.com/site2', 'pbx.example.com'],
  ],
  [
    'desk7@PBX.Example.com/Site2',
    ['pbx.example.com/site2', 'pbx.example.com'],
    ['pbx.example.com/site2', 'pbx.example.com'],
  ],
  [
    'pbx.example.com/main:backup',
    ['pbx.example.com/main', 'pbx.example.com'],
    ['pbx.example.com/backup', 'pbx.example.com'],
  ],
  ['a@gk/x:y', ['gk/x', 'gk'], ['gk/y', 'gk']],
  [
    'zürich@PBX.example/SÜD',
    ['pbx.example/sÜd', 'pbx.example'],
    ['pbx.example/sÜd', 'pbx.example'],
  ],
  [
    '東京@ПБКС.example/站点',
    ['ПБКС.example/站点', 'ПБКС.example'],
    ['ПБКС.example/站点', 'ПБКС.example'],
  ],
  ['gk:1720', ['gk:1720'], ['gk:1720']],
];

for (const [id, primary, secondary] of forms) {
  test(`gatekeeper ID ${id} routes to ${primary.join(', ')} (secondary: ${secondary.join(', ')})`, (t) => {
    t.assert.deepEqual(services(id), primary);
    t.assert.deepEqual(services(id, 'secondary'), secondary);
  });
}

test('the physical location is kept apart and never routes', (t) => {
  t.assert.deepEqual(parseGatekeeperId('desk7@pbx/a:b', 'primary'), {
    physicalLocation: 'desk7',
    gatekeeper: 'pbx',
    registrationLocation: 'a',
  });
  t.assert.deepEqual(parseGatekeeperId('pbx', 'primary'), {
    physicalLocation: undefined,
    gatekeeper: 'pbx',
    registrationLocation: undefined,
  });
});

const malformed = [
  '',
  '@pbx',
  'desk@',
  'a@b@pbx',
  'pbx/',
  'pbx/a/b',
  'a/b@pbx',
  'pbx/:b',
  'pbx/a:',
  'pbx/a:b:c',
  'pbx example',
  'pbx\u0000',
  'pbx\u202e',
  'pbx\u00a0x',
  'pbx\ud800',
  'pbx\ud83d\ude00',
];

for (const id of malformed) {
  test(`gatekeeper ID ${JSON.stringify(id)} is refused, not guessed`, (t) => {
    t.assert.equal(parseGatekeeperId(id, 'primary'), undefined);
  });
}

const a = (kind: Alias['kind'], value: string | undefined): Alias => ({ kind, value });

test('the called domain: after the last @, without port, parameters or a trailing dot', (t) => {
  const domain = (...aliases: Alias[]): unknown => calledDomain(aliases);
  const ok = (d: string): unknown => ({ kind: 'domain', domain: d });
  t.assert.deepEqual(domain(a('h323-ID', 'bob@Example.COM')), ok('example.com'));
  t.assert.deepEqual(domain(a('email-ID', 'bob@example.com.')), ok('example.com'));
  t.assert.deepEqual(
    domain(a('url-ID', 'h323:bob@example.com:1720;user=phone')),
    ok('example.com'),
  );
  t.assert.deepEqual(domain(a('url-ID', 'sip:bob@example.com?subject=x')), ok('example.com'));
  t.assert.deepEqual(domain(a('h323-ID', 'Bob <bob@example.com>')), ok('example.com'));
  t.assert.deepEqual(domain(a('url-ID', 'h323:"a@b"@example.com')), ok('example.com'));
  t.assert.deepEqual(domain(a('h323-ID', 'x@192.0.2.1')), ok('192.0.2.1'));
  t.assert.deepEqual(
    domain(
      a('dialedDigits', '123'),
      a('h323-ID', 'bob@example.com'),
      a('email-ID', 'BOB@example.com'),
    ),
    ok('example.com'),
  );
});

test('no domain, two domains, or an @ without a DNS name does not route', (t) => {
  t.assert.deepEqual(calledDomain([]), { kind: 'none' });
  t.assert.deepEqual(calledDomain([a('dialedDigits', '12345'), a('h323-ID', 'tweeb1')]), {
    kind: 'none',
  });
  t.assert.deepEqual(calledDomain([a('url-ID', 'h323:example.com'), a('transportID', undefined)]), {
    kind: 'none',
  });
  t.assert.deepEqual(calledDomain([a('partyNumber', '4930@1')]), { kind: 'none' });
  t.assert.deepEqual(
    calledDomain([a('email-ID', 'bob@example.com'), a('email-ID', 'bob@example.org')]),
    {
      kind: 'ambiguous',
    },
  );
  for (const value of [
    'bob@',
    'bob@[2001:db8::1]',
    'bob@exämple.com',
    'bob@-x.com',
    'bob@a..b',
    'bob@ x',
  ]) {
    t.assert.deepEqual(calledDomain([a('h323-ID', value)]), { kind: 'invalid' }, value);
  }
});

test('the identity is the first h323-ID, else a number, else an email or URL without scheme', (t) => {
  t.assert.equal(
    identityOf([a('dialedDigits', '201'), a('h323-ID', 'alice'), a('h323-ID', 'bob')]),
    'alice',
  );
  t.assert.equal(identityOf([a('url-ID', 'h323:alice@pbx'), a('partyNumber', '4930')]), '4930');
  t.assert.equal(
    identityOf([a('transportID', undefined), a('url-ID', 'H323:alice@pbx')]),
    'alice@pbx',
  );
  t.assert.equal(identityOf([a('email-ID', 'alice@pbx'), a('url-ID', 'sip:x@y')]), 'alice@pbx');
  t.assert.equal(identityOf([a('transportID', undefined), a('mobileUIM', undefined)]), undefined);
  t.assert.equal(identityOf([]), undefined);
});
