// IP literals as bytes, CIDR prefixes over them, and the built-in table of special-purpose ranges a
// TURN relay must not reach (turn-stun.md §5: eturnal's list plus coturn master's IPv6 scopes).

import { ipToBytes } from '../stun/attributes/address.ts';

export type SpecialReason =
  | 'turn.peer-unspecified'
  | 'turn.peer-loopback'
  | 'turn.peer-private'
  | 'turn.peer-link-local'
  | 'turn.peer-multicast'
  | 'turn.peer-broadcast'
  | 'turn.peer-special';

/** The first `bits` bits of `bytes` (4 bytes for IPv4, 16 for IPv6); the rest are zero. */
export interface Prefix {
  readonly bytes: Uint8Array;
  readonly bits: number;
}

/**
 * 4 bytes for a dotted quad, 16 for IPv6 in any RFC 4291 §2.2 notation; undefined otherwise (the
 * STUN codec's parser: no short or leading-zero IPv4 forms). Zone ids (`fe80::1%eth0`) are refused:
 * XOR-PEER-ADDRESS carries none, and a zone would pick an interface for us.
 */
export function parseIp(text: string): Uint8Array | undefined {
  return text.includes('%') ? undefined : ipToBytes(text);
}

/** `IP` or `IP/bits`; host bits are cleared. Undefined for anything else (config is pre-validated). */
export function parseCidr(text: string): Prefix | undefined {
  const slash = text.indexOf('/');
  const bytes = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (bytes === undefined) return undefined;
  const max = bytes.length * 8;
  let bits = max;
  if (slash >= 0) {
    const digits = text.slice(slash + 1);
    if (!/^(?:0|[1-9]\d{0,2})$/.test(digits)) return undefined;
    bits = Number(digits);
    if (bits > max) return undefined;
  }
  for (let bit = bits; bit < max; bit++)
    bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) & ~(0x80 >> (bit & 7));
  return { bytes, bits };
}

/** True when `address` has the prefix's family and starts with its `bits` bits. */
export function covers(prefix: Prefix, address: Uint8Array): boolean {
  if (address.length !== prefix.bytes.length) return false;
  const whole = prefix.bits >> 3;
  for (let i = 0; i < whole; i++) if (address[i] !== prefix.bytes[i]) return false;
  const rest = prefix.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((address[whole] ?? 0) & mask) === prefix.bytes[whole];
}

export function coveredByAny(prefixes: readonly Prefix[], address: Uint8Array): boolean {
  for (const prefix of prefixes) if (covers(prefix, address)) return true;
  return false;
}

interface Range {
  readonly prefix: Prefix;
  readonly reason: SpecialReason;
}

function range(cidr: string, reason: SpecialReason): Range {
  const prefix = parseCidr(cidr);
  if (prefix === undefined) throw new Error(`bad built-in range ${cidr}`); // a typo here is a bug
  return { prefix, reason };
}

// IANA IPv4 Special-Purpose Address Registry (RFC 6890 and successors). Globally reachable entries
// (AS112 192.31.196/24 and 192.175.48/24, AMT 192.52.193/24) are left out on purpose.
const IPV4_RANGES: readonly Range[] = [
  range('0.0.0.0/8', 'turn.peer-unspecified'), // "this network": 0.0.0.0 reached 127.0.0.1 (CVE-2020-26262)
  range('10.0.0.0/8', 'turn.peer-private'), // RFC 1918
  range('100.64.0.0/10', 'turn.peer-private'), // RFC 6598 carrier-grade NAT: the ISP's inside
  range('127.0.0.0/8', 'turn.peer-loopback'),
  range('169.254.0.0/16', 'turn.peer-link-local'), // includes the cloud metadata 169.254.169.254
  range('172.16.0.0/12', 'turn.peer-private'), // RFC 1918
  // IETF protocol assignments: DS-Lite B4s, PCP/TURN anycast 192.0.0.9-10, NAT64 discovery .170-.171.
  range('192.0.0.0/24', 'turn.peer-special'),
  // TEST-NET-1/2/3 (RFC 5737) are never routed on the Internet, so a route to them is a local one.
  range('192.0.2.0/24', 'turn.peer-special'),
  range('192.88.99.0/24', 'turn.peer-special'), // deprecated 6to4 relay anycast (RFC 7526)
  range('192.168.0.0/16', 'turn.peer-private'), // RFC 1918
  range('198.18.0.0/15', 'turn.peer-special'), // benchmarking (RFC 2544): lab networks
  range('198.51.100.0/24', 'turn.peer-special'), // TEST-NET-2
  range('203.0.113.0/24', 'turn.peer-special'), // TEST-NET-3
  range('224.0.0.0/4', 'turn.peer-multicast'),
  range('240.0.0.0/4', 'turn.peer-broadcast'), // reserved, and 255.255.255.255 limited broadcast
];

// IANA IPv6 Special-Purpose Address Registry. IPv4-mapped/-compatible, 6to4 and NAT64 addresses are
// not listed: the policy judges the IPv4 inside them. Everything outside 2000::/3 that is left
// (100::/64 discard, ::ffff:0:0:0/96 SIIT, 5f00::/16 SRv6 SIDs, unassigned space) is special.
const IPV6_RANGES: readonly Range[] = [
  range('::/128', 'turn.peer-unspecified'), // [::] reached loopback (CVE-2020-26262)
  range('::1/128', 'turn.peer-loopback'),
  range('fc00::/7', 'turn.peer-private'), // unique local (RFC 4193)
  range('fec0::/10', 'turn.peer-private'), // deprecated site-local, still routed by old stacks
  range('fe80::/10', 'turn.peer-link-local'),
  range('ff00::/8', 'turn.peer-multicast'),
  range('100::/64', 'turn.peer-special'), // discard-only (RFC 6666)
  // Teredo (RFC 4380): the client's IPv4 sits inside, XOR-obfuscated, so it cannot be vetted.
  range('2001::/32', 'turn.peer-special'),
  range('2001:2::/48', 'turn.peer-special'), // benchmarking (RFC 5180)
  range('2001:10::/28', 'turn.peer-special'), // ORCHID (RFC 4843): identifiers, not locators
  range('2001:20::/28', 'turn.peer-special'), // ORCHIDv2 (RFC 7343)
  range('2001:db8::/32', 'turn.peer-special'), // documentation (RFC 3849)
  range('3fff::/20', 'turn.peer-special'), // documentation (RFC 9637)
];

const GLOBAL_UNICAST = range('2000::/3', 'turn.peer-special').prefix;

function lookup(ranges: readonly Range[], address: Uint8Array): SpecialReason | undefined {
  for (const entry of ranges) if (covers(entry.prefix, address)) return entry.reason;
  return undefined;
}

/** Why a 4-byte address is special, or undefined for an ordinary public one. */
export function ipv4Reason(address: Uint8Array): SpecialReason | undefined {
  return lookup(IPV4_RANGES, address);
}

/**
 * Why a 16-byte address is special by its own prefix. The caller has already judged (and skipped)
 * the IPv4-embedding forms, which lie outside 2000::/3 apart from 6to4.
 */
export function ipv6Reason(address: Uint8Array): SpecialReason | undefined {
  return lookup(IPV6_RANGES, address);
}

/** Outside 2000::/3 (RFC 4291 §2.4 global unicast) nothing is a legitimate Internet peer. */
export function isGlobalUnicast(address: Uint8Array): boolean {
  return covers(GLOBAL_UNICAST, address);
}
