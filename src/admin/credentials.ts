// Checks a user name and password against admin.users: scrypt, a short cache of good logins, and a
// cap on parallel hashing so a login flood cannot take the libuv thread pool from the rest of pbxgate.

import { createHmac, randomBytes } from 'node:crypto';
import { PbxgateError } from '../errors.ts';
import { parsePasswordHash, verifyPassword } from './password.ts';

export interface AdminUser {
  readonly name: string;
  readonly passwordHash: string;
}

export type CredentialOutcome = 'ok' | 'wrong' | 'busy';

export interface CredentialCheck {
  check(name: string, password: string): Promise<CredentialOutcome>;
}

/** A good login is remembered this long, so a polling client does not cost one scrypt per request. */
const CACHE_TTL_MS = 5 * 60_000;
const MAX_CACHED = 64;
const MAX_PARALLEL_HASHES = 2;
const MAX_WAITING_HASHES = 32;

/** Throws PBX_ERR_CONFIG: the admin API always requires a login, so it needs a valid user. */
export function checkAdminUsers(users: readonly AdminUser[]): void {
  const hint =
    'add { name, passwordHash } under admin.users (pbxgate hash-password makes the hash)';
  if (users.length === 0)
    throw new PbxgateError(
      'PBX_ERR_CONFIG',
      `admin: no users, and the admin API always requires a login: ${hint}`,
    );
  const seen = new Set<string>();
  users.forEach((user, index) => {
    if (seen.has(user.name))
      throw new PbxgateError('PBX_ERR_CONFIG', `admin.users.${index}: user "${user.name}" twice`);
    seen.add(user.name);
    if (parsePasswordHash(user.passwordHash) === undefined)
      throw new PbxgateError(
        'PBX_ERR_CONFIG',
        `admin.users.${index} (${user.name}): passwordHash is not a hash pbxgate hash-password makes`,
      );
  });
}

export function createCredentialCheck(
  users: readonly AdminUser[],
  options: { now?: () => number } = {},
): CredentialCheck {
  checkAdminUsers(users);
  const now = options.now ?? Date.now;
  const hashes = new Map(users.map((user) => [user.name, user.passwordHash]));
  // An unknown name costs the same hashing as a known one, so timing does not tell names apart.
  const decoy = users[0]?.passwordHash ?? '';
  const cacheKey = randomBytes(32);
  const cache = new Map<string, number>();
  const limit = createLimiter(MAX_PARALLEL_HASHES, MAX_WAITING_HASHES);

  return {
    async check(name, password) {
      const id = createHmac('sha256', cacheKey).update(name).update('\0').update(password).digest();
      const key = id.toString('base64');
      const expires = cache.get(key);
      if (expires !== undefined && expires > now()) return 'ok';
      cache.delete(key);
      const hash = hashes.get(name);
      const result = await limit(() => verifyPassword(password, hash ?? decoy));
      if (result === undefined) return 'busy';
      if (!result || hash === undefined) return 'wrong';
      cache.set(key, now() + CACHE_TTL_MS);
      if (cache.size > MAX_CACHED) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      return 'ok';
    },
  };
}

/** Runs at most `parallel` tasks at once; undefined when `waiting` tasks already queue. */
function createLimiter(parallel: number, waiting: number) {
  let running = 0;
  const queue: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T | undefined> => {
    if (running < parallel) running++;
    else if (queue.length >= waiting) return undefined;
    else await new Promise<void>((resolve) => queue.push(resolve)); // a finishing task hands its slot over
    try {
      return await task();
    } finally {
      const next = queue.shift();
      if (next) next();
      else running--;
    }
  };
}
