// Service by name and access by client IP, for one request kind: pure, built once from the config.
import { BlockList, isIP } from 'node:net';
import type { ProxyServiceConfig } from '../config/schema-proxy.ts';
import { unmapIpv4 } from '../net/ip-bytes.ts';
import type { RequestKind } from './protocol.ts';

export type RouteDecision =
  | { readonly kind: 'route'; readonly service: ProxyServiceConfig }
  | { readonly kind: 'unknown-service' }
  | { readonly kind: 'forbidden'; readonly service: ProxyServiceConfig };

export interface Router {
  /** The first of `names` (case-insensitive) naming a service that serves this kind, then its allow-list. */
  route(names: readonly string[], remoteIp: string): RouteDecision;
}

interface Entry {
  readonly service: ProxyServiceConfig;
  /** Undefined: the service admits every client IP for this kind. */
  readonly allow: BlockList | undefined;
}

export function createRouter(services: readonly ProxyServiceConfig[], kind: RequestKind): Router {
  const byName = new Map<string, Entry>();
  for (const service of services) {
    // A service without a port for this kind does not exist for it: a SIP name is not an LDAP route.
    if (service.ports[kind] === undefined) continue;
    const cidrs = service.allow[kind];
    byName.set(service.name.toLowerCase(), {
      service,
      allow: cidrs === undefined ? undefined : blockListOf(cidrs),
    });
  }
  return {
    route(names, remoteIp) {
      for (const name of names) {
        const entry = byName.get(name.toLowerCase());
        if (entry === undefined) continue;
        const { service, allow } = entry;
        return allow === undefined || isAllowed(allow, remoteIp)
          ? { kind: 'route', service }
          : { kind: 'forbidden', service };
      }
      return { kind: 'unknown-service' };
    },
  };
}

/** Config CIDRs (already validated by schema-fields.ts `isCidr`) as a node:net BlockList. */
export function blockListOf(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const slash = cidr.indexOf('/');
    const ip = slash < 0 ? cidr : cidr.slice(0, slash);
    const type = isIP(ip) === 4 ? 'ipv4' : 'ipv6';
    if (slash < 0) list.addAddress(ip, type);
    else list.addSubnet(ip, Number(cidr.slice(slash + 1)), type);
  }
  return list;
}

/**
 * A dual-stack listener shows IPv4 clients as `::ffff:a.b.c.d`; they are checked as the IPv4
 * address they are, so `198.51.100.0/24` admits them. Anything that is not an IP is refused.
 */
export function isAllowed(allow: BlockList, remoteIp: string): boolean {
  const ip = unmapIpv4(remoteIp);
  switch (isIP(ip)) {
    case 4:
      return allow.check(ip, 'ipv4');
    case 6:
      return allow.check(ip, 'ipv6');
    default:
      return false;
  }
}
