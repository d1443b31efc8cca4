// The tracking key of a client IP: IPv4 as is, IPv4-mapped IPv6 as its IPv4, IPv6 as its prefix.

import { ipLiteralFamily } from '../net/listen-url.ts';
import {
  createGroups,
  formatIpv6,
  formatMappedIpv4,
  isIpv4Mapped,
  maskIpv6,
  parseIpv6,
} from './ipv6.ts';

const MAPPED = '::ffff:';
const scratch = createGroups();

/**
 * `192.0.2.1` -> itself; `::ffff:192.0.2.1` -> `192.0.2.1`; `2001:db8:1:2:a:b:c:d` with prefix 64
 * -> `2001:db8:1:2::/64`. Runs per connection and datagram: IPv4 allocates nothing. Text that is
 * no IP address comes back unchanged (it is still counted, under its own name).
 */
export function trackingKey(ip: string, ipv6Prefix: number): string {
  if (!ip.includes(':')) return ip;
  // A dual-stack socket reports every IPv4 client in this form: skip the parser for it.
  if (ip.startsWith(MAPPED) && ip.includes('.', MAPPED.length)) return ip.slice(MAPPED.length);
  if (!parseIpv6(ip, scratch)) return ip;
  if (isIpv4Mapped(scratch)) return formatMappedIpv4(scratch);
  maskIpv6(scratch, ipv6Prefix);
  return `${formatIpv6(scratch)}/${ipv6Prefix}`;
}

/**
 * The key for text typed by a person (admin API, CLI): an IP address, or a key as the blacklist
 * shows it (`2001:db8:1:2::/64` with the configured prefix, `192.0.2.1/32`); undefined otherwise.
 */
export function keyOf(text: string, ipv6Prefix: number): string | undefined {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const family = ipLiteralFamily(address);
  if (family === undefined) return undefined;
  if (slash >= 0 && text.slice(slash + 1) !== String(family === 4 ? 32 : ipv6Prefix)) {
    return undefined;
  }
  return trackingKey(address, ipv6Prefix);
}

/** Entries kept by a keyer before it starts afresh (a spoofed flood only costs the parse again). */
export const KEY_CACHE_SIZE = 4096;

/**
 * trackingKey for one prefix length, remembering the keys of recent IPv6 clients: a known
 * client's datagrams cost one Map lookup instead of a parse and a print.
 */
export function createKeyer(
  ipv6Prefix: number,
  cacheSize = KEY_CACHE_SIZE,
): (ip: string) => string {
  const cache = new Map<string, string>();
  return (ip) => {
    if (!ip.includes(':')) return ip;
    let key = cache.get(ip);
    if (key === undefined) {
      key = trackingKey(ip, ipv6Prefix);
      if (cache.size >= cacheSize) cache.clear();
      cache.set(ip, key);
    }
    return key;
  };
}
