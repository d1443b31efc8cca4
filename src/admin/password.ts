// Admin password hashes: scrypt with a random salt, written as scrypt:N:r:p:<salt b64>:<key b64>.

import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** RFC 7914 cost parameters for new hashes: about 50 ms and 16 MiB per hash on a current CPU. */
export const SCRYPT_COST = { N: 16384, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;

// A hash read back from a config must not make one login cost seconds or gigabytes.
const MAX_MEMORY_BYTES = 64 * 1024 * 1024;
const MAX_PARALLELISM = 16;
const MIN_SALT_BYTES = 8;
const MIN_KEY_BYTES = 16;
const MAX_KEY_BYTES = 64;

export interface ScryptHash {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly key: Buffer;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const { N, r, p } = SCRYPT_COST;
  const key = await derive(password, { N, r, p, salt, keyBytes: KEY_BYTES });
  return `scrypt:${N}:${r}:${p}:${salt.toString('base64')}:${key.toString('base64')}`;
}

/** Timing-safe; false for a wrong password and for anything that is not a hash we can check. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const parsed = parsePasswordHash(hash);
  if (parsed === undefined) return false;
  let key: Buffer;
  try {
    key = await derive(password, { ...parsed, keyBytes: parsed.key.length });
  } catch {
    return false;
  }
  return timingSafeEqual(key, parsed.key);
}

/** The parts of a hash `hashPassword` could have made (any bounded cost), else undefined. */
export function parsePasswordHash(text: string): ScryptHash | undefined {
  const fields = text.split(':');
  if (fields.length !== 6 || fields[0] !== 'scrypt') return undefined;
  const [N, r, p] = fields.slice(1, 4).map(positiveInteger);
  const salt = strictBase64(fields[4] ?? '');
  const key = strictBase64(fields[5] ?? '');
  if (N === undefined || r === undefined || p === undefined || !salt || !key) return undefined;
  const hash = { N, r, p, salt, key };
  return isBoundedCost(hash) && hasSaneLengths(hash) ? hash : undefined;
}

// RFC 7914 §2: N is a power of two greater than 1.
function isBoundedCost({ N, r, p }: ScryptHash): boolean {
  const isPowerOfTwo = N >= 2 && (N & (N - 1)) === 0;
  return isPowerOfTwo && memoryBytes(N, r) <= MAX_MEMORY_BYTES && p <= MAX_PARALLELISM;
}

function hasSaneLengths({ salt, key }: ScryptHash): boolean {
  return (
    salt.length >= MIN_SALT_BYTES && key.length >= MIN_KEY_BYTES && key.length <= MAX_KEY_BYTES
  );
}

function derive(
  password: string,
  cost: { N: number; r: number; p: number; salt: Buffer; keyBytes: number },
): Promise<Buffer> {
  const { N, r, p } = cost;
  // NFC: the same password typed on two systems may arrive composed or decomposed (RFC 8265 §4.2).
  const secret = Buffer.from(password.normalize('NFC'), 'utf8');
  return new Promise((resolve, reject) => {
    scrypt(
      secret,
      cost.salt,
      cost.keyBytes,
      { N, r, p, maxmem: 2 * memoryBytes(N, r) },
      (err, key) => {
        if (err) reject(err);
        else resolve(key);
      },
    );
  });
}

function memoryBytes(N: number, r: number): number {
  return 128 * N * r;
}

function positiveInteger(text: string | undefined): number | undefined {
  return text !== undefined && /^[1-9]\d{0,8}$/.test(text) ? Number(text) : undefined;
}

/** Canonical base64 only: `Buffer.from(…, 'base64')` would skip any character it does not know. */
function strictBase64(text: string): Buffer | undefined {
  if (text.length === 0 || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text))
    return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}
