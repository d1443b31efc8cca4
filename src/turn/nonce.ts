// Stateless NONCE values (RFC 8489 §9.2): the issue time and a MAC over it, so an unauthenticated
// request leaves no state behind (coturn's --stateless-nonce does the same).

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type NonceCheck = 'valid' | 'stale' | 'invalid';

export interface NonceIssuer {
  /** `clientKey` is chosen by the server, e.g. transport + client IP + port: a nonce is only good there. */
  issue(clientKey: string, nowMs: number): string;
  /**
   * 'stale' (answer 438 with a fresh nonce) only when the MAC is right and the nonce is older than
   * its lifetime (or from the future, after a clock step back); any other mismatch is 'invalid'.
   */
  check(nonce: string, clientKey: string, nowMs: number): NonceCheck;
}

export interface NonceOptions {
  readonly lifetimeMs: number;
  /** Defaults to random bytes per process; processes that share clients must share a secret. */
  readonly secret?: Buffer;
}

// Layout: 8 lowercase hex digits of the issue time in Unix seconds, then MAC_BYTES of
// HMAC-SHA256(secret, time "|" clientKey) in hex: 40 characters, within RFC 8489 §14.10's 128. A
// hex first character also keeps it from starting with the RFC 8489 §9.2 nonce cookie "obMatJos2",
// which would announce security features this server does not offer.
const TIME_DIGITS = 8;
const MAC_BYTES = 16;
const NONCE = new RegExp(`^[0-9a-f]{${TIME_DIGITS + MAC_BYTES * 2}}$`);
const SECRET_BYTES = 32;

export function createNonceIssuer(options: NonceOptions): NonceIssuer {
  const { lifetimeMs } = options;
  if (!Number.isFinite(lifetimeMs) || lifetimeMs <= 0)
    throw new RangeError(`lifetimeMs must be a positive number, not ${lifetimeMs}`);
  const secret = Buffer.from(options.secret ?? randomBytes(SECRET_BYTES));
  if (secret.length === 0) throw new RangeError('the nonce secret must not be empty');

  const macOf = (time: string, clientKey: string): Buffer =>
    createHmac('sha256', secret)
      .update(`${time}|${clientKey}`, 'utf8')
      .digest()
      .subarray(0, MAC_BYTES);

  return {
    issue(clientKey, nowMs) {
      // 8 hex digits hold Unix seconds until 2106.
      const time = (Math.floor(nowMs / 1000) >>> 0).toString(16).padStart(TIME_DIGITS, '0');
      return time + macOf(time, clientKey).toString('hex');
    },
    check(nonce, clientKey, nowMs) {
      if (!NONCE.test(nonce)) return 'invalid';
      const time = nonce.slice(0, TIME_DIGITS);
      const given = Buffer.from(nonce.slice(TIME_DIGITS), 'hex');
      if (!timingSafeEqual(given, macOf(time, clientKey))) return 'invalid';
      const issuedSeconds = Number.parseInt(time, 16);
      if (issuedSeconds > Math.floor(nowMs / 1000)) return 'stale';
      // The issue time is rounded down to the second, so a nonce may go stale up to 1 s early.
      return nowMs - issuedSeconds * 1000 >= lifetimeMs ? 'stale' : 'valid';
    },
  };
}
