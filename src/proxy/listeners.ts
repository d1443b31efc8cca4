// The proxy listeners of `proxy.listen` that route once per connection (SIP, H.323, LDAP): each listener
// type gets the generic pipeline (pipeline.ts) with its protocol's sniffer, refusal and watcher.
// HTTP and HTTPS route per request and have their own listener (http/listener.ts).

import type { ProxyConfig } from '../config/schema-proxy.ts';
import { createH323Protocol } from './h323/protocol.ts';
import { createLdapProtocol } from './ldap/protocol.ts';
import { type ProxyListener, type ProxyListenerDeps, createProxyListener } from './pipeline.ts';
import type { ListenerType, ProxyProtocol } from './protocol.ts';
import { createSipProtocol } from './sip/protocol.ts';

type MakeProtocol = (proxy: Omit<ProxyConfig, 'listen'>) => ProxyProtocol;

const sip: MakeProtocol = () => createSipProtocol();
const ldap: MakeProtocol = (proxy) =>
  createLdapProtocol({ maxMessageBytes: proxy.maxFirstMessageBytes });
const h323: MakeProtocol = (proxy) =>
  createH323Protocol({ maxFirstMessageBytes: proxy.maxFirstMessageBytes });

/** Listener types served by the generic pipeline, and the protocol each speaks. */
const STREAM_TYPES: readonly (readonly [ListenerType, MakeProtocol])[] = [
  ['sip-tcp', sip],
  ['sip-tls', sip],
  ['h323-tcp', h323],
  ['h323-tls', h323],
  ['ldap', ldap],
  ['ldaps', ldap],
];

/** Listener types that need TLS material: their own TLS, or StartTLS answered by the gateway. */
export const TLS_LISTENER_TYPES: ReadonlySet<ListenerType> = new Set([
  'https',
  'sip-tls',
  'h323-tls',
  'ldaps',
  'ldap',
]);

export function createStreamListeners(
  config: ProxyConfig,
  deps: Omit<ProxyListenerDeps, 'protocol' | 'proxy'>,
): ProxyListener[] {
  const { listen, ...proxy } = config;
  const listeners: ProxyListener[] = [];
  for (const [type, protocol] of STREAM_TYPES) {
    const address = listen[type];
    if (address === undefined) continue;
    listeners.push(
      createProxyListener(type, address, { ...deps, proxy, protocol: protocol(proxy) }),
    );
  }
  return listeners;
}
