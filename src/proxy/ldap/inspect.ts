// What a client's request means to the proxy, shared by the sniffer, the watcher and the refusal: a
// simple bind and its domain, StartTLS, another operation, or why it cannot be let through.

import { isUtf8 } from 'node:buffer';
import { type BindRequest, readBindRequest, readRequestName } from './bind.ts';
import { readBindName } from './bind-name.ts';
import type { LdapHead } from './message.ts';
import { LdapOp, START_TLS_OID } from './ops.ts';

export type LdapReason =
  | 'ldap.malformed'
  | 'ldap.unsupported-version'
  | 'ldap.anonymous-bind'
  | 'ldap.unauthenticated-bind'
  | 'ldap.sasl-bind'
  | 'ldap.sicily-bind'
  | 'ldap.unknown-authentication'
  | 'ldap.bind-name-too-long'
  | 'ldap.invalid-dn'
  | 'ldap.no-domain';

export type Inspection =
  | { readonly kind: 'bind'; readonly domain: string; readonly identity: string | undefined }
  | { readonly kind: 'starttls' }
  | { readonly kind: 'other' }
  | { readonly kind: 'refuse'; readonly reason: LdapReason };

const START_TLS = Buffer.from(START_TLS_OID, 'latin1');

function refuse(reason: LdapReason): Inspection {
  return { kind: 'refuse', reason };
}

/**
 * Only a simple bind with a name and a password names its domain (protocols.md §4.2): SASL and
 * Sicily carry the realm inside the mechanism, an empty name is anonymous, and an empty password
 * is an unauthenticated bind (RFC 4513 §5.1.2), which a gateway has no reason to let through.
 */
function authenticationProblem(bind: BindRequest): LdapReason | undefined {
  switch (bind.authentication) {
    case 'simple':
      if (bind.name.length === 0) return 'ldap.anonymous-bind';
      return bind.credentialsLength === 0 ? 'ldap.unauthenticated-bind' : undefined;
    case 'sasl':
      return 'ldap.sasl-bind';
    case 'sicily':
      return 'ldap.sicily-bind';
    case 'other':
      return 'ldap.unknown-authentication';
  }
}

function inspectBind(bytes: Uint8Array, head: LdapHead, maxBindNameBytes: number): Inspection {
  const read = readBindRequest(bytes, head);
  // `bytes` is the whole message or at least maxBindNameBytes of its start: the name did not fit.
  if (read.kind === 'incomplete') return refuse('ldap.bind-name-too-long');
  if (read.kind === 'malformed') return refuse('ldap.malformed');
  const bind = read.value;
  // RFC 4511 §4.2: version 3; innovaphone devices may still send 2.
  if (bind.version !== 3 && bind.version !== 2) return refuse('ldap.unsupported-version');
  const problem = authenticationProblem(bind);
  if (problem !== undefined) return refuse(problem);
  if (bind.name.length > maxBindNameBytes) return refuse('ldap.bind-name-too-long');
  if (!isUtf8(bind.name)) return refuse('ldap.invalid-dn'); // §4.1.2: LDAPDN is UTF-8
  const name = Buffer.from(bind.name.buffer, bind.name.byteOffset, bind.name.length);
  const key = readBindName(name.toString('utf8'));
  return key.kind === 'domain'
    ? { kind: 'bind', domain: key.domain, identity: key.identity }
    : refuse(key.reason);
}

function inspectExtended(bytes: Uint8Array, head: LdapHead): Inspection {
  const name = readRequestName(bytes, head);
  if (name.kind === 'malformed') return refuse('ldap.malformed');
  return name.kind === 'ok' && START_TLS.equals(name.value)
    ? { kind: 'starttls' }
    : { kind: 'other' };
}

/**
 * `bytes` holds the message whose head is `head`, whole or its first maxBindNameBytes + 64 octets
 * (enough for every header before a bind's credentials).
 */
export function inspectRequest(
  bytes: Uint8Array,
  head: LdapHead,
  maxBindNameBytes: number,
): Inspection {
  switch (head.op) {
    case LdapOp.bindRequest:
      return inspectBind(bytes, head, maxBindNameBytes);
    case LdapOp.extendedRequest:
      return inspectExtended(bytes, head);
    default:
      return { kind: 'other' };
  }
}
