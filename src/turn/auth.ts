// Long-term credential checks for TURN requests (RFC 8489 §9.2.4, RFC 8656 §5): a challenge without
// state (stateless nonce), then USERNAME, REALM, NONCE and MESSAGE-INTEGRITY(-SHA256) against the
// accounts and shared secrets. Wrong credentials are suspicious (password guessing); a first
// request without credentials is how every client starts, and is not.

import { Attr } from '../stun/constants.ts';
import { type StunMessage, attributeValue, findAttribute } from '../stun/message.ts';
import { MAX_USERNAME_BYTES, readText } from '../stun/attributes/text.ts';
import { checkIntegrity } from '../stun/integrity.ts';
import type { TurnCredentials } from './credentials.ts';
import type { NonceIssuer } from './nonce.ts';
import { type ReplyContext, type Signing, challengeReply, errorReply } from './reply.ts';

export interface AuthDeps {
  readonly realm: string;
  readonly credentials: TurnCredentials;
  readonly nonces: NonceIssuer;
  readonly reply: ReplyContext;
}

export type AuthResult =
  | {
      readonly kind: 'ok';
      readonly username: string;
      readonly user: string;
      readonly key: Buffer;
      readonly signing: Signing;
    }
  /** Answer with `bytes`; `suspicious` names the reason when it was a failed attempt. */
  | {
      readonly kind: 'refused';
      readonly code: 400 | 401 | 438 | 441;
      readonly bytes: Buffer;
      readonly suspicious: string | undefined;
    };

function text(message: StunMessage, type: number, max?: number): string | undefined {
  const attribute = findAttribute(message, type);
  if (attribute === undefined) return undefined;
  const read = readText(attributeValue(message, attribute), max);
  return read.kind === 'ok' ? read.value : undefined;
}

/**
 * `clientKey` binds the nonce to the client's transport address; `now` is epoch ms. `username`, when
 * given, is the one the allocation was made with: another one is 441 (RFC 8656 §5).
 */
export function authenticate(
  request: StunMessage,
  deps: AuthDeps,
  clientKey: string,
  now: number,
  username?: string,
): AuthResult {
  const challenge = (code: 401 | 438, suspicious: string | undefined): AuthResult => ({
    kind: 'refused',
    code,
    bytes: challengeReply(request, code, deps.realm, deps.nonces.issue(clientKey, now), deps.reply),
    suspicious,
  });
  const hasIntegrity =
    findAttribute(request, Attr.messageIntegrity) !== undefined ||
    findAttribute(request, Attr.messageIntegritySha256) !== undefined;
  if (!hasIntegrity) return challenge(401, undefined);
  const name = text(request, Attr.username, MAX_USERNAME_BYTES);
  const realm = text(request, Attr.realm);
  const nonce = text(request, Attr.nonce);
  if (name === undefined || realm === undefined || nonce === undefined) {
    return {
      kind: 'refused',
      code: 400,
      bytes: errorReply(request, 400, deps.reply),
      suspicious: 'turn.bad-request',
    };
  }
  const freshness = deps.nonces.check(nonce, clientKey, now);
  if (freshness === 'stale') return challenge(438, undefined);
  if (freshness === 'invalid' || realm !== deps.realm) return challenge(401, 'turn.bad-nonce');
  const user = deps.credentials.lookup(name, now);
  if (user === undefined) return challenge(401, 'turn.auth-failed');
  const key = user.keys.find((candidate) => checkIntegrity(request, candidate) === 'valid');
  if (key === undefined) return challenge(401, 'turn.auth-failed');
  const signing: Signing = {
    key,
    algorithm:
      findAttribute(request, Attr.messageIntegritySha256) === undefined ? 'sha1' : 'sha256',
  };
  if (username !== undefined && username !== name) {
    return {
      kind: 'refused',
      code: 441,
      bytes: errorReply(request, 441, deps.reply, { signing }),
      suspicious: 'turn.wrong-credentials',
    };
  }
  return { kind: 'ok', username: name, user: user.user, key, signing };
}
