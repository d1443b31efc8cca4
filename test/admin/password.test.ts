import { test } from 'node:test';
import {
  SCRYPT_COST,
  hashPassword,
  parsePasswordHash,
  verifyPassword,
} from '../../src/admin/password.ts';

test('a hash has the form scrypt:N:r:p:salt:key with a 16-byte salt and a 32-byte key', async (t) => {
  const hash = await hashPassword('s3cret');
  const fields = hash.split(':');
  t.assert.equal(fields.length, 6);
  t.assert.deepEqual(fields.slice(0, 4), [
    'scrypt',
    String(SCRYPT_COST.N),
    String(SCRYPT_COST.r),
    String(SCRYPT_COST.p),
  ]);
  t.assert.equal(Buffer.from(fields[4] ?? '', 'base64').length, 16);
  t.assert.equal(Buffer.from(fields[5] ?? '', 'base64').length, 32);
});

test('the password verifies against its hash, and other passwords do not', async (t) => {
  const hash = await hashPassword('correct horse');
  t.assert.equal(await verifyPassword('correct horse', hash), true);
  t.assert.equal(await verifyPassword('correct horse ', hash), false);
  t.assert.equal(await verifyPassword('Correct horse', hash), false);
  t.assert.equal(await verifyPassword('', hash), false);
});

test('two hashes of one password differ (random salt) and both verify', async (t) => {
  const [a, b] = await Promise.all([hashPassword('same'), hashPassword('same')]);
  t.assert.notEqual(a, b);
  t.assert.equal(await verifyPassword('same', a), true);
  t.assert.equal(await verifyPassword('same', b), true);
});

test('a non-ASCII password verifies whether it arrives composed or decomposed (NFC)', async (t) => {
  const hash = await hashPassword('Zürich-Passwort');
  t.assert.equal(await verifyPassword('Zu\u0308rich-Passwort', hash), true);
});

test('a hash made elsewhere with other scrypt parameters verifies', async (t) => {
  const { scryptSync } = await import('node:crypto');
  const salt = Buffer.from('0123456789abcdef');
  const key = scryptSync('other', salt, 64, { N: 1024, r: 4, p: 2 });
  const hash = `scrypt:1024:4:2:${salt.toString('base64')}:${key.toString('base64')}`;
  t.assert.equal(await verifyPassword('other', hash), true);
  t.assert.equal(await verifyPassword('wrong', hash), false);
});

const salt = Buffer.alloc(16, 1).toString('base64');
const key = Buffer.alloc(32, 2).toString('base64');
const malformed: [string, string][] = [
  ['an empty text', ''],
  ['only the scheme', 'scrypt:'],
  ['another scheme', `bcrypt:16384:8:1:${salt}:${key}`],
  ['a missing field', `scrypt:16384:8:${salt}:${key}`],
  ['an extra field', `scrypt:16384:8:1:1:${salt}:${key}`],
  ['a cost that is not a number', `scrypt:lots:8:1:${salt}:${key}`],
  ['a cost that is not a power of two', `scrypt:16383:8:1:${salt}:${key}`],
  ['a cost of 1', `scrypt:1:8:1:${salt}:${key}`],
  ['a zero block size', `scrypt:16384:0:1:${salt}:${key}`],
  ['a leading zero', `scrypt:016384:8:1:${salt}:${key}`],
  ['a cost needing gigabytes', `scrypt:1048576:64:1:${salt}:${key}`],
  ['too much parallelism', `scrypt:16384:8:1000:${salt}:${key}`],
  ['a salt that is not base64', `scrypt:16384:8:1:not*base64!:${key}`],
  ['an empty salt', `scrypt:16384:8:1::${key}`],
  ['a short salt', `scrypt:16384:8:1:AAAA:${key}`],
  ['a short key', `scrypt:16384:8:1:${salt}:AAAAAAAA`],
  ['a key with junk after it', `scrypt:16384:8:1:${salt}:${key}xx`],
  ['base64 without padding', `scrypt:16384:8:1:${salt}:${key.replace(/=+$/, '')}`],
];

for (const [name, hash] of malformed) {
  test(`a hash with ${name} is refused, and verifying against it is false`, async (t) => {
    t.assert.equal(parsePasswordHash(hash), undefined);
    t.assert.equal(await verifyPassword('anything', hash), false);
  });
}
