// IP literals as bytes, CIDR prefixes over them, and the built-in table of special-purpose ranges a
// TURN relay must not reach (turn-stun.md §5: eturnal's list plus coturn master's IPv6 scopes).
// Parsing walks char codes once: it runs for every Send indication, so no split, regex or Number().

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

const COLON = 0x3a;
const DOT = 0x2e;
// The longest IPv6 text without a zone: six groups of four plus a dotted quad (45 characters).
const MAX_TEXT = 45;

/** 4 bytes for a dotted quad, 16 for IPv6 in any RFC 4291 §2.2 notation; undefined otherwise. */
export function parseIp(text: string): Uint8Array | undefined {
  if (text.length === 0 || text.length > MAX_TEXT) return undefined;
  if (text.includes(':')) return parseIpv6(text);
  const out = new Uint8Array(4);
  return readDottedQuad(text, 0, out, 0) ? out : undefined;
}

/**
 * Reads `text[from..]` as a dotted quad into `out[at..at+4]`. Leading zeros (`010.0.0.1`, octal to
 * inet_aton) and short forms (`127.1`) are refused: other stacks read them as different addresses.
 */
function readDottedQuad(text: string, from: number, out: Uint8Array, at: number): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = from; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : DOT;
    if (c === DOT) {
      if (digits === 0 || part > 3) return false;
      out[at + part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && value === 0) return false;
      value = value * 10 + c - 0x30;
      if (++digits > 3 || value > 255) return false;
    } else {
      return false;
    }
  }
  return part === 4;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20; // ASCII letters only differ in this bit
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

// Zone ids (`fe80::1%eth0`) are refused with everything else that is not a hex digit, ':' or '.':
// XOR-PEER-ADDRESS carries none, and a zone would pick an interface for us.
function parseIpv6(text: string): Uint8Array | undefined {
  const out = new Uint8Array(16);
  let groups = 0;
  let gap = -1; // the group index where '::' stands
  let i = 0;
  const dot = text.indexOf('.');
  if (text.charCodeAt(0) === COLON) {
    if (text.charCodeAt(1) !== COLON) return undefined;
    gap = 0;
    i = 2;
  }
  while (i < text.length) {
    const end = readGroup(text, i, out, groups);
    if (end < 0) return undefined;
    // Only a dotted quad (two groups) can hold a '.', and it ends the text.
    groups += dot > i && end === text.length ? 2 : 1;
    if (end === text.length) break;
    // `end` is at a ':' that is not the last character.
    if (text.charCodeAt(end + 1) === COLON) {
      if (gap >= 0) return undefined;
      gap = groups;
      i = end + 2;
    } else {
      i = end + 1;
    }
  }
  return expandGap(out, groups, gap);
}

/**
 * Reads the group at `text[from..]` into group slot `slot` and returns the index after it (its ':'
 * or the end of the text), or -1 when it is not a group, does not fit, or a ':' ends the text.
 */
function readGroup(text: string, from: number, out: Uint8Array, slot: number): number {
  if (slot >= 8) return -1;
  let value = 0;
  let j = from;
  for (let h = hexValue(text.charCodeAt(j)); h >= 0 && j - from < 5;) {
    value = value * 16 + h;
    h = hexValue(text.charCodeAt(++j));
  }
  if (text.charCodeAt(j) === DOT) {
    // RFC 4291 §2.2 form 3: a dotted quad may only fill the last two groups.
    return slot <= 6 && readDottedQuad(text, from, out, slot * 2) ? text.length : -1;
  }
  if (j === from || j - from > 4) return -1;
  out[slot * 2] = value >> 8;
  out[slot * 2 + 1] = value & 0xff;
  if (j === text.length) return j;
  return text.charCodeAt(j) === COLON && j + 1 < text.length ? j : -1;
}

/** Moves the groups after '::' to the end; without '::' all eight groups must be there. */
function expandGap(out: Uint8Array, groups: number, gap: number): Uint8Array | undefined {
  if (gap < 0) return groups === 8 ? out : undefined;
  if (groups > 7) return undefined; // '::' stands for at least one group
  const tail = (groups - gap) * 2;
  out.copyWithin(16 - tail, gap * 2, groups * 2);
  out.fill(0, gap * 2, 16 - tail);
  return out;
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
