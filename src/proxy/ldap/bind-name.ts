// The routing key of a bind name (protocols.md §4.2, ARCHITECTURE.md "Routing keys"): `domain\user`,
// a DN's DC parts joined by dots, or a UPN's domain; lower-cased, one trailing dot stripped. The user
// part is the identity.

import { type Rdn, parseDn } from './dn.ts';

export type BindName =
  | { readonly kind: 'domain'; readonly domain: string; readonly identity: string | undefined }
  | { readonly kind: 'none'; readonly reason: 'ldap.no-domain' | 'ldap.invalid-dn' };

/** RFC 4519 §2.4 `dc`, its OID, and RFC 1274's long name for it. */
const DC_TYPES: ReadonlySet<string> = new Set([
  'dc',
  'domaincomponent',
  '0.9.2342.19200300.100.1.25',
]);
/** A DNS-like service name; anything else in a DC value or before `\` routes nowhere. */
const DOMAIN = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/;
const MAX_DOMAIN_LENGTH = 253;

const NO_DOMAIN: BindName = { kind: 'none', reason: 'ldap.no-domain' };
const INVALID_DN: BindName = { kind: 'none', reason: 'ldap.invalid-dn' };

/** A domain or service name as compared: lower-cased, without one trailing dot. */
export function normalizeDomain(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

function found(domainText: string, user: string | undefined): BindName {
  const domain = normalizeDomain(domainText);
  if (domain.length > MAX_DOMAIN_LENGTH || !DOMAIN.test(domain)) return NO_DOMAIN;
  return { kind: 'domain', domain, identity: user === '' ? undefined : user };
}

/** The user a DN names: the value of its first RDN (`CN=user`, `uid=admin`), unless that is a DC. */
function userOf(rdns: readonly Rdn[]): string | undefined {
  const first = rdns[0]?.[0];
  return first === undefined || DC_TYPES.has(first.type) ? undefined : first.value;
}

/** ARCHITECTURE.md: `CN=user,DC=a,DC=b` -> `a.b`, every DC part in order. */
function fromDn(name: string): BindName {
  const rdns = parseDn(name);
  if (rdns === undefined) return INVALID_DN;
  const parts: string[] = [];
  for (const ava of rdns.flat()) {
    if (!DC_TYPES.has(ava.type)) continue;
    // A `#hex` or empty DC value is not decoded into a domain.
    if (ava.value === undefined || ava.value === '') return NO_DOMAIN;
    parts.push(ava.value);
  }
  return parts.length === 0 ? NO_DOMAIN : found(parts.join('.'), userOf(rdns));
}

export function readBindName(name: string): BindName {
  const equals = name.indexOf('=');
  const backslash = name.indexOf('\\');
  // A DN's escapes come after its first `=`; a down-level name has no `=` before its `\`.
  if (equals >= 0 && (backslash < 0 || equals < backslash)) return fromDn(name);
  if (backslash >= 0) return found(name.slice(0, backslash), name.slice(backslash + 1));
  // A UPN `user@dns.domain` (AD): one `@`, the domain after it.
  const at = name.indexOf('@');
  if (at >= 0 && at === name.lastIndexOf('@')) return found(name.slice(at + 1), name.slice(0, at));
  return NO_DOMAIN;
}
