// Address ranges as the whitelist keeps them: one spelling per range, and whether one covers another.

import { ipLiteralFamily } from '../net/listen-url.ts';
import { createGroups, formatIpv6, isIpv4Mapped, maskIpv6, parseIpv4, parseIpv6 } from './ipv6.ts';

export interface Cidr {
  readonly family: 4 | 6;
  /** The network address: host bits cleared, IPv6 in RFC 5952 form. */
  readonly address: string;
  readonly prefix: number;
  /** `192.0.2.7`, `198.51.100.0/24`, `2001:db8::/32`: the address alone for a single host. */
  readonly text: string;
}

const PREFIX = /^(?:0|[1-9]\d{0,2})$/;
const MAPPED_PREFIX = 96;

/** An IP or `IP/prefix`; `::ffff:a.b.c.d/n` (n >= 96) becomes the IPv4 range it stands for. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const family = ipLiteralFamily(address);
  if (family === undefined) return undefined;
  const max = family === 4 ? 32 : 128;
  const digits = slash < 0 ? String(max) : text.slice(slash + 1);
  if (!PREFIX.test(digits) || Number(digits) > max) return undefined;
  const prefix = Number(digits);
  return family === 4
    ? ipv4Cidr(parseIpv4(address, 0, address.length), prefix)
    : ipv6Cidr(address, prefix);
}

/** True when every address of `inner` lies in `outer`. */
export function cidrCovers(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || outer.prefix > inner.prefix) return false;
  return parseCidr(`${inner.address}/${outer.prefix}`)?.address === outer.address;
}

function ipv6Cidr(address: string, prefix: number): Cidr | undefined {
  const groups = createGroups();
  if (!parseIpv6(address, groups)) return undefined;
  if (isIpv4Mapped(groups) && prefix >= MAPPED_PREFIX) {
    const value = (groups[6] ?? 0) * 0x10000 + (groups[7] ?? 0);
    return ipv4Cidr(value, prefix - MAPPED_PREFIX);
  }
  maskIpv6(groups, prefix);
  const network = formatIpv6(groups);
  return {
    family: 6,
    address: network,
    prefix,
    text: prefix === 128 ? network : `${network}/${prefix}`,
  };
}

function ipv4Cidr(value: number, prefix: number): Cidr {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const network = (value & mask) >>> 0;
  const address = `${network >>> 24}.${(network >>> 16) & 0xff}.${(network >>> 8) & 0xff}.${network & 0xff}`;
  return { family: 4, address, prefix, text: prefix === 32 ? address : `${address}/${prefix}` };
}
