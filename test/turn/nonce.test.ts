import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { createNonceIssuer } from '../../src/turn/nonce.ts';

const lifetimeMs = 600_000;
const secret = Buffer.from('a fixed nonce secret for the tests');
const client = 'udp 192.0.2.7:50000';
const nowMs = 1_700_000_000_250;

const issuer = createNonceIssuer({ lifetimeMs, secret });

test('a nonce is the issue time in hex and the HMAC-SHA256 of time|client, truncated', (t) => {
  const nonce = issuer.issue(client, nowMs);
  const time = (1_700_000_000).toString(16);
  const mac = createHmac('sha256', secret).update(`${time}|${client}`).digest('hex').slice(0, 32);
  t.assert.equal(nonce, time + mac);
});

test('a nonce is valid for its client until its lifetime has passed, then stale', (t) => {
  const nonce = issuer.issue(client, nowMs);
  const issuedMs = 1_700_000_000_000; // the issue time is kept in whole seconds
  t.assert.equal(issuer.check(nonce, client, nowMs), 'valid');
  t.assert.equal(issuer.check(nonce, client, issuedMs + lifetimeMs - 1), 'valid');
  t.assert.equal(issuer.check(nonce, client, issuedMs + lifetimeMs), 'stale');
  t.assert.equal(issuer.check(nonce, client, issuedMs + 100 * lifetimeMs), 'stale');
});

test('a nonce from the future (the clock stepped back) is stale, not valid', (t) => {
  const nonce = issuer.issue(client, nowMs + 5000);
  t.assert.equal(issuer.check(nonce, client, nowMs), 'stale');
});

test('a nonce is invalid for another client', (t) => {
  const nonce = issuer.issue(client, nowMs);
  t.assert.equal(issuer.check(nonce, 'udp 192.0.2.7:50001', nowMs), 'invalid');
  t.assert.equal(issuer.check(nonce, 'tcp 192.0.2.7:50000', nowMs), 'invalid');
});

test('a nonce of another secret is invalid, even when it is old', (t) => {
  const other = createNonceIssuer({ lifetimeMs, secret: Buffer.from('another secret') });
  const nonce = other.issue(client, nowMs);
  t.assert.equal(issuer.check(nonce, client, nowMs), 'invalid');
  t.assert.equal(issuer.check(nonce, client, nowMs + 2 * lifetimeMs), 'invalid');
});

test('by default each issuer has its own random secret', (t) => {
  const first = createNonceIssuer({ lifetimeMs });
  const second = createNonceIssuer({ lifetimeMs });
  const nonce = first.issue(client, nowMs);
  t.assert.equal(first.check(nonce, client, nowMs), 'valid');
  t.assert.equal(second.check(nonce, client, nowMs), 'invalid');
});

test('changing any one character of a nonce makes it invalid', (t) => {
  const nonce = issuer.issue(client, nowMs);
  for (let at = 0; at < nonce.length; at++) {
    const char = nonce[at] === '0' ? '1' : '0';
    const tampered = nonce.slice(0, at) + char + nonce.slice(at + 1);
    t.assert.equal(issuer.check(tampered, client, nowMs), 'invalid', `at ${at}`);
  }
});

test('a refreshed issue time without its MAC is invalid, not valid and not stale', (t) => {
  const old = issuer.issue(client, nowMs);
  const later = (1_700_000_000 + lifetimeMs / 1000).toString(16);
  t.assert.equal(issuer.check(later + old.slice(8), client, nowMs + lifetimeMs), 'invalid');
});

const malformed: readonly (readonly [string, (nonce: string) => string])[] = [
  ['an empty nonce', () => ''],
  ['a nonce cut short', (nonce) => nonce.slice(0, -1)],
  ['a nonce with a character more', (nonce) => `${nonce}0`],
  ['an upper-case nonce', (nonce) => nonce.toUpperCase()],
  ['a nonce with a non-hex character', (nonce) => `${nonce.slice(0, -1)}g`],
  ['the RFC 8489 nonce cookie', () => 'obMatJos2AAAB'],
];

for (const [name, change] of malformed) {
  test(`${name} is invalid`, (t) => {
    t.assert.equal(issuer.check(change(issuer.issue(client, nowMs)), client, nowMs), 'invalid');
  });
}

test('a lifetime that is not positive is a bug', (t) => {
  for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY])
    t.assert.throws(() => createNonceIssuer({ lifetimeMs: bad }), RangeError);
  t.assert.throws(() => createNonceIssuer({ lifetimeMs, secret: Buffer.alloc(0) }), RangeError);
});

test('random nonces, client keys and times never throw and are never accepted', () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.string(), fc.stringMatching(/^[0-9a-f]{40}$/)),
      fc.string({ unit: 'binary' }),
      fc.integer(),
      (nonce, clientKey, now) => {
        if (issuer.check(nonce, clientKey, now) !== 'invalid') throw new Error(nonce);
      },
    ),
  );
});

test('issued nonces are printable, at most 127 characters, and valid for their client', () => {
  fc.assert(
    fc.property(
      fc.string({ unit: 'binary' }),
      fc.integer({ min: 0, max: 0xffff_ffff * 1000 }),
      fc.integer({ min: 0, max: lifetimeMs - 1000 }),
      (clientKey, issuedMs, ageMs) => {
        const nonce = issuer.issue(clientKey, issuedMs);
        if (!/^[\x21-\x7e]{1,127}$/.test(nonce)) throw new Error(`not printable: ${nonce}`);
        const result = issuer.check(nonce, clientKey, issuedMs + ageMs);
        if (result !== 'valid') throw new Error(`${result} after ${ageMs} ms`);
      },
    ),
  );
});
