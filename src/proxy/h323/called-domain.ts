// The routing key of a call without registration (protocols.md §2.7, ARCHITECTURE.md "Routing
// keys"): the domain of the called party `user@domain` among the Setup's destinationAddress.

import type { Alias } from './h225-common.ts';
import { asciiLowerCase } from './gatekeeper-id.ts';

export type CalledDomain =
  | { readonly kind: 'domain'; readonly domain: string }
  /** No h323-ID, url-ID or email-ID alias holds an `@` (dialled digits, a plain name). */
  | { readonly kind: 'none' }
  /** Aliases name different domains: which one the call is for is not for the proxy to pick. */
  | { readonly kind: 'ambiguous' }
  /** An alias holds an `@` but no DNS name follows it. */
  | { readonly kind: 'invalid' };

const TEXT_ALIASES: ReadonlySet<string> = new Set(['h323-ID', 'url-ID', 'email-ID']);
/** Where the host ends in `h323:bob@example.com:1720;user=phone`, `<bob@example.com>` and the like. */
const HOST_END = /[;?>/:,]/;
/** LDH labels (underscore tolerated, as in the HTTP host rule), dot-separated. */
const DNS_NAME =
  /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** The host after the last `@`, lower-cased and without a trailing dot; '' when not a DNS name. */
function domainOf(value: string): string {
  const afterAt = value.slice(value.lastIndexOf('@') + 1);
  const end = afterAt.search(HOST_END);
  const host = asciiLowerCase(end < 0 ? afterAt : afterAt.slice(0, end)).replace(/\.$/, '');
  return DNS_NAME.test(host) ? host : '';
}

/**
 * Every h323-ID, url-ID or email-ID alias containing `@` names a domain (the scheme of a URL does
 * not matter: the host follows the last `@`); the call routes only if they all name the same one.
 */
export function calledDomain(aliases: readonly Alias[]): CalledDomain {
  const domains = new Set<string>();
  for (const { kind, value } of aliases) {
    if (!TEXT_ALIASES.has(kind) || value === undefined || !value.includes('@')) continue;
    const domain = domainOf(value);
    if (domain === '') return { kind: 'invalid' };
    domains.add(domain);
  }
  const [domain, other] = domains;
  if (domain === undefined) return { kind: 'none' };
  return other === undefined ? { kind: 'domain', domain } : { kind: 'ambiguous' };
}
