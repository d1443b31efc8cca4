import { createHash, createHmac } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { longTermKey } from '../../src/stun/integrity.ts';
import { createTurnCredentials, mintRestCredentials } from '../../src/turn/credentials.ts';

const realm = 'pbxgate.test';
// 2023-11-14T22:13:20Z; the coturn recipe (shared/reference/coturn-recipes.md §2) mints
// `$(( now + 3600 )):phone1` with `openssl dgst -sha1 -hmac northSecret42 -binary | base64`.
const nowMs = 1_700_000_000_000;
const restUsername = '1700003600:phone1';
// openssl's answer for that username and secret, and MD5("1700003600:phone1:pbxgate.test:" password).
const restPassword = 'GlX/d8RMz1mT6dsdIPrADODhSVE=';
const restKeyHex = '5d91ba353bcc9982cab2969b5c2716cf';

function md5Key(username: string, password: string): Buffer {
  return createHash('md5').update(`${username}:${realm}:${password}`).digest();
}

function withSecrets(...sharedSecrets: string[]) {
  return createTurnCredentials({ realm, accounts: [], sharedSecrets });
}

test('minting reproduces the openssl answer for the coturn recipe', (t) => {
  const minted = mintRestCredentials('northSecret42', 'phone1', 3600, nowMs);
  t.assert.deepEqual(minted, { username: restUsername, password: restPassword, ttl: 3600 });
});

test('the REST password is base64(HMAC-SHA1(secret, username)), computed here by hand', (t) => {
  const minted = mintRestCredentials('another secret', 'alice', 86_400, 1_234_567_890_999);
  t.assert.equal(minted.username, '1234654290:alice');
  const byHand = createHmac('sha1', 'another secret').update('1234654290:alice').digest('base64');
  t.assert.equal(minted.password, byHand);
});

test('a REST username gives the long-term key of its password and its user id', (t) => {
  const user = withSecrets('northSecret42').lookup(restUsername, nowMs);
  t.assert.equal(user?.kind, 'rest');
  t.assert.equal(user?.user, 'phone1');
  t.assert.deepEqual(
    user?.keys.map((key) => key.toString('hex')),
    [restKeyHex],
  );
});

test('a REST username is unknown from its expiry on, cached or not', (t) => {
  const credentials = withSecrets('northSecret42');
  const expiryMs = 1_700_003_600_000;
  t.assert.equal(credentials.lookup(restUsername, expiryMs - 1)?.user, 'phone1');
  t.assert.equal(credentials.lookup(restUsername, expiryMs), undefined);
  t.assert.equal(credentials.lookup(restUsername, expiryMs + 1), undefined);
  t.assert.equal(withSecrets('northSecret42').lookup(restUsername, expiryMs + 1), undefined);
});

const notRest: readonly (readonly [string, string])[] = [
  ['a username whose expiry is not a number', 'soon:phone1'],
  ['a negative expiry', '-1700003600:phone1'],
  ['a fractional expiry', '1700003600.5:phone1'],
  ['an empty expiry', ':phone1'],
  ['an empty username', ''],
  ['a 513-byte username (RFC 8489 §14.3)', `1700003600:${'x'.repeat(502)}`],
];

for (const [name, username] of notRest) {
  test(`${name} is unknown`, (t) => {
    t.assert.equal(withSecrets('northSecret42').lookup(username, nowMs), undefined);
  });
}

test('a 512-byte REST username is known', (t) => {
  const user = withSecrets('s').lookup(`1700003600:${'x'.repeat(501)}`, nowMs);
  t.assert.equal(user?.user, 'x'.repeat(501));
});

test('without a shared secret no REST username is known', (t) => {
  t.assert.equal(withSecrets().lookup(restUsername, nowMs), undefined);
});

test('with two secrets, a username minted with the second verifies with the second key', (t) => {
  const credentials = withSecrets('new secret', 'old secret');
  const minted = mintRestCredentials('old secret', 'phone2', 600, nowMs);
  const user = credentials.lookup(minted.username, nowMs);
  t.assert.equal(user?.keys.length, 2);
  t.assert.deepEqual(user?.keys[1], md5Key(minted.username, minted.password));
  t.assert.notDeepEqual(user?.keys[0], md5Key(minted.username, minted.password));
  const fresh = mintRestCredentials('new secret', 'phone2', 600, nowMs + 1000);
  t.assert.deepEqual(
    credentials.lookup(fresh.username, nowMs)?.keys[0],
    md5Key(fresh.username, fresh.password),
  );
});

test('the user id is everything after the first colon', (t) => {
  const user = withSecrets('s').lookup('1700003600:sip:alice@example.com', nowMs);
  t.assert.equal(user?.user, 'sip:alice@example.com');
});

test('a username that is only an expiry is its own quota identity', (t) => {
  const minted = mintRestCredentials('s', '', 60, nowMs);
  t.assert.equal(minted.username, '1700000060');
  const user = withSecrets('s').lookup(minted.username, nowMs);
  t.assert.equal(user?.user, '1700000060');
  t.assert.deepEqual(user?.keys[0], md5Key(minted.username, minted.password));
  t.assert.equal(withSecrets('s').lookup('1700000060:', nowMs)?.user, '1700000060:');
});

test('an account gives MD5(user:realm:password) and its name', (t) => {
  const credentials = createTurnCredentials({
    realm,
    accounts: [{ user: 'phone', password: 'change-me' }],
    sharedSecrets: [],
  });
  const user = credentials.lookup('phone', nowMs);
  t.assert.deepEqual(user, {
    keys: [md5Key('phone', 'change-me')],
    user: 'phone',
    kind: 'account',
  });
  t.assert.equal(credentials.lookup('Phone', nowMs), undefined);
});

test('an account named like a REST username is an account, even past its "expiry"', (t) => {
  const credentials = createTurnCredentials({
    realm,
    accounts: [{ user: '1000:legacy', password: 'pw' }],
    sharedSecrets: ['s'],
  });
  const user = credentials.lookup('1000:legacy', nowMs);
  t.assert.equal(user?.kind, 'account');
  t.assert.deepEqual(user?.keys, [md5Key('1000:legacy', 'pw')]);
});

test('account passwords are OpaqueString-prepared: NFC, non-ASCII spaces as spaces', (t) => {
  const credentials = createTurnCredentials({
    realm,
    accounts: [{ user: 'u', password: 'cafe\u0301\u00a0bar' }],
    sharedSecrets: [],
  });
  t.assert.deepEqual(credentials.lookup('u', nowMs)?.keys, [longTermKey('u', realm, 'café bar')]);
});

test('minting refuses a TTL that is not a whole number of seconds >= 1', (t) => {
  for (const ttl of [0, -5, 1.5, Number.NaN])
    t.assert.throws(() => mintRestCredentials('s', 'u', ttl, nowMs), RangeError);
});

test('random usernames and times never throw', () => {
  const credentials = createTurnCredentials({
    realm,
    accounts: [{ user: 'phone', password: 'pw' }],
    sharedSecrets: ['a', 'b'],
  });
  const username = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 120 }),
    fc.tuple(fc.nat(), fc.string()).map(([expiry, id]) => `${expiry}:${id}`),
  );
  fc.assert(
    fc.property(username, fc.integer(), (name, now) => {
      const user = credentials.lookup(name, now);
      if (user !== undefined && user.kind === 'rest' && user.keys.length !== 2)
        throw new Error(`${user.keys.length} keys for ${name}`);
    }),
  );
});

test('every minted credential verifies with the key of the secret that minted it', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 3 }),
      fc.nat(),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.integer({ min: 1, max: 10 * 365 * 86_400 }),
      (secrets, pick, userId, ttl) => {
        const index = pick % secrets.length;
        const minted = mintRestCredentials(secrets[index] ?? '', userId, ttl, nowMs);
        const user = withSecrets(...secrets).lookup(minted.username, nowMs);
        const expected = md5Key(minted.username, minted.password);
        const found = user?.keys.findIndex((key) => key.equals(expected));
        if (found !== index) throw new Error(`key ${found} for secret ${index}`);
        if (user?.user !== (userId === '' ? minted.username : userId))
          throw new Error(`user id ${user?.user} for ${minted.username}`);
      },
    ),
  );
});
