// LDAP on the ProxyProtocol contract (src/proxy/protocol.ts): the first simple bind routes by its
// domain, StartTLS is terminated here, refusals are LDAP results, and a watcher holds later binds
// to the routed domain and counts rejected passwords.

import type { ProxyProtocol } from '../protocol.ts';
import { resolveLdapLimits } from './limits.ts';
import { refuseLdap } from './refuse.ts';
import { sniffLdap } from './sniff.ts';
import { createLdapWatcher } from './watch.ts';

export interface LdapProtocolOptions {
  /** The first message's cap; default 64 KiB (give it `proxy.maxFirstMessageBytes`). */
  readonly maxMessageBytes?: number;
  /** A longer bind name is refused, first or later; default 2048 octets, at most 64 KiB. */
  readonly maxBindNameBytes?: number;
}

/** LDAP always has a watcher. */
export type LdapProtocol = ProxyProtocol & Required<Pick<ProxyProtocol, 'createWatcher'>>;

export function createLdapProtocol(options: LdapProtocolOptions = {}): LdapProtocol {
  const limits = resolveLdapLimits(options);
  return {
    kind: 'ldap',
    sniff: (bytes) => sniffLdap(bytes, limits),
    refuse: (message, cause) => refuseLdap(message, cause, limits),
    createWatcher: (ctx) => createLdapWatcher(ctx, limits),
  };
}
