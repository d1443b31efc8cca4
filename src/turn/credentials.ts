// TURN credentials: configured accounts and REST-style time-limited usernames, as long-term keys.

import { createHmac } from 'node:crypto';
import { longTermKey } from '../stun/integrity.ts';

/** Who a USERNAME belongs to, and the keys its MESSAGE-INTEGRITY may have been made with. */
export interface TurnUser {
  /**
   * Long-term keys (RFC 8489 §9.2.2), to be tried in this order until MESSAGE-INTEGRITY verifies.
   * An account has one. A REST username has one per shared secret, the first secret's first: the
   * password may have been minted with any of them and nothing in the username says which.
   */
  readonly keys: readonly Buffer[];
  /**
   * The quota identity: the account name, or the REST user id (the part after the first ':'), never
   * the whole REST username, which changes with every minted credential. A REST username without a
   * user id (`<expiry>` alone, as some clients send) is its own identity. Quotas should key on
   * `kind` too, so an account and a REST user id of the same name stay apart.
   */
  readonly user: string;
  readonly kind: 'account' | 'rest';
}

export interface TurnCredentials {
  /** undefined: unknown user, or a REST username that is expired or malformed (401 either way). */
  lookup(username: string, nowMs: number): TurnUser | undefined;
}

export interface TurnCredentialsConfig {
  readonly realm: string;
  readonly accounts: readonly { readonly user: string; readonly password: string }[];
  /** REST secrets; empty disables REST credentials. */
  readonly sharedSecrets: readonly string[];
}

// RFC 8489 §14.3: USERNAME MUST be fewer than 513 bytes; longer is not worth an HMAC.
const MAX_USERNAME_BYTES = 512;
// REST usernames come and go; enough for every live client of a busy server, bounded for a flood.
const MAX_CACHED_REST_USERS = 10_000;
// Unix seconds, decimal; 12 digits reach far past any real expiry and stay a safe integer.
const EXPIRY = /^\d{1,12}$/;

interface CachedRestUser {
  readonly expiresAtMs: number;
  readonly turnUser: TurnUser;
}

export function createTurnCredentials(config: TurnCredentialsConfig): TurnCredentials {
  const realm = opaqueString(config.realm);
  const accounts = new Map<string, TurnUser>();
  for (const { user, password } of config.accounts) {
    const key = longTermKey(user, realm, opaqueString(password));
    accounts.set(user, Object.freeze({ keys: Object.freeze([key]), user, kind: 'account' }));
  }
  const secrets = [...config.sharedSecrets];
  const cache = new Map<string, CachedRestUser>();

  function lookupRest(username: string, nowMs: number): TurnUser | undefined {
    const cached = cache.get(username);
    if (cached !== undefined) {
      if (nowMs < cached.expiresAtMs) return cached.turnUser;
      cache.delete(username);
      return undefined;
    }
    const parsed = parseRestUsername(username);
    if (parsed === undefined || nowMs >= parsed.expiresAtMs) return undefined;
    if (Buffer.byteLength(username, 'utf8') > MAX_USERNAME_BYTES) return undefined;
    const keys = secrets.map((secret) =>
      longTermKey(username, realm, restPassword(secret, username)),
    );
    const turnUser: TurnUser = Object.freeze({
      keys: Object.freeze(keys),
      user: parsed.userId,
      kind: 'rest',
    });
    // Map keeps insertion order: the oldest entry goes first.
    if (cache.size >= MAX_CACHED_REST_USERS) {
      const oldest = cache.keys().next();
      if (oldest.done !== true) cache.delete(oldest.value);
    }
    cache.set(username, { expiresAtMs: parsed.expiresAtMs, turnUser });
    return turnUser;
  }

  return {
    lookup(username, nowMs) {
      // An account wins even when its name looks like a REST username.
      const account = accounts.get(username);
      if (account !== undefined) return account;
      return secrets.length === 0 ? undefined : lookupRest(username, nowMs);
    },
  };
}

/**
 * draft-uberti-behave-turn-rest-00: username = `<expiry unix seconds>:<user id>`, password =
 * base64(HMAC-SHA1(secret, username)). `userId` '' mints the bare `<expiry>` form.
 */
export function mintRestCredentials(
  secret: string,
  userId: string,
  ttlSeconds: number,
  nowMs: number,
): { readonly username: string; readonly password: string; readonly ttl: number } {
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1)
    throw new RangeError(`ttlSeconds must be a whole number >= 1, not ${ttlSeconds}`);
  const expiry = Math.floor(nowMs / 1000) + ttlSeconds;
  const username = userId === '' ? String(expiry) : `${expiry}:${userId}`;
  return { username, password: restPassword(secret, username), ttl: ttlSeconds };
}

function restPassword(secret: string, username: string): string {
  return createHmac('sha1', secret).update(username, 'utf8').digest('base64');
}

/** Expiry and user id of `<expiry>[:<user id>]`; undefined when the expiry is not a number. */
function parseRestUsername(
  username: string,
): { readonly expiresAtMs: number; readonly userId: string } | undefined {
  const colon = username.indexOf(':');
  const expiry = colon < 0 ? username : username.slice(0, colon);
  if (!EXPIRY.test(expiry)) return undefined;
  const userId = colon < 0 ? '' : username.slice(colon + 1);
  // No user id to count quotas by: the username itself is the identity.
  return { expiresAtMs: Number(expiry) * 1000, userId: userId === '' ? username : userId };
}

// RFC 8265 §4.2 (OpaqueString, required by RFC 8489 §9.2.2 for realm and password): non-ASCII
// spaces become U+0020, then NFC. Disallowed code points are not refused: the key just won't match.
const NON_ASCII_SPACE = /[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/g;

function opaqueString(text: string): string {
  return text.replace(NON_ASCII_SPACE, ' ').normalize('NFC');
}
