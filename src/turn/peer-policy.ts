// Which peers the relay may reach (RFC 8656 §7.1 and §21: a TURN server must not become a way into
// the networks behind it). Applied to XOR-PEER-ADDRESS on CreatePermission, ChannelBind, Send and
// RFC 6062 Connect, after canonicalising IPv4 inside IPv6: the bypasses of CVE-2020-26262 (0.0.0.0,
// [::], [::1]), CVE-2021-21382 and CVE-2026-73212 (::ffff:127.0.0.1 and friends) in turn-stun.md §5.
//
// Order of judgement, documented for operators in `turn.allowedPeers`:
//   1. the address is parsed and IPv4-mapped/-compatible forms become the IPv4 address itself;
//   2. allowedPeers covering that address wins over everything below (coturn's "allowed wins");
//   3. the built-in special ranges (special-ranges.ts), then the IPv4 inside 6to4/NAT64 forms;
//   4. deniedPeers, checked against the address and against any IPv4 inside it.
// allowedPeers opens only the addresses it covers: an IPv4 CIDR opens that IPv4 (also written as
// ::ffff:a.b.c.d), not the 6to4/NAT64 addresses that translate to it; those need an IPv6 entry.

import {
  coveredByAny,
  ipv4Reason,
  ipv6Reason,
  isGlobalUnicast,
  parseCidr,
  parseIp,
  type Prefix,
} from './special-ranges.ts';

export type PeerDenialReason =
  | 'turn.peer-invalid' // not an IP address
  | 'turn.peer-unspecified' // 0.0.0.0/8, ::
  | 'turn.peer-loopback' // 127/8, ::1
  | 'turn.peer-private' // RFC 1918, 100.64/10 (CGNAT), fc00::/7 (ULA), fec0::/10 (site-local)
  | 'turn.peer-link-local' // 169.254/16 (incl. 169.254.169.254 metadata), fe80::/10
  | 'turn.peer-multicast' // 224/4, ff00::/8
  | 'turn.peer-broadcast' // 255.255.255.255, 240/4 (reserved)
  | 'turn.peer-special' // the other special-purpose ranges, each documented in special-ranges.ts
  | 'turn.peer-denied'; // in turn.deniedPeers

export type PeerVerdict =
  | { readonly allowed: true; readonly address: string } // canonical text form
  | { readonly allowed: false; readonly reason: PeerDenialReason };

export interface PeerPolicy {
  check(address: string): PeerVerdict;
}

/**
 * The IPv4 inside an IPv6 address that carries one where the packet will end up: IPv4-mapped
 * (::ffff:0:0/96), IPv4-compatible (::/96 but not :: or ::1, RFC 4291 §2.5.5.1), 6to4 (2002::/16,
 * RFC 3056: bytes 2-5) and NAT64 (64:ff9b::/96 RFC 6052, and the /96 at the start of the local-use
 * 64:ff9b:1::/48 of RFC 8215). A view into `address`; undefined when none.
 */
function embedded(address: Uint8Array): Uint8Array | undefined {
  if (address.length !== 16) return undefined;
  if (address[0] === 0x20 && address[1] === 0x02) return address.subarray(2, 6);
  if (isMapped(address)) return address.subarray(12);
  if (zeros(address, 0, 12)) {
    // :: and ::1 are IPv6's own unspecified and loopback addresses, not 0.0.0.0 and 0.0.0.1.
    const isOwn = zeros(address, 12, 15) && (address[15] ?? 0) <= 1;
    return isOwn ? undefined : address.subarray(12);
  }
  return nat64Ipv4(address);
}

function nat64Ipv4(address: Uint8Array): Uint8Array | undefined {
  if (address[0] !== 0 || address[1] !== 0x64 || address[2] !== 0xff || address[3] !== 0x9b) {
    return undefined;
  }
  if (zeros(address, 4, 12)) return address.subarray(12); // 64:ff9b::/96
  // Elsewhere in 64:ff9b:1::/48 the IPv4 position depends on the operator's prefix length, so
  // those addresses fall to the "outside 2000::/3" rule and are denied as special.
  if (address[4] === 0 && address[5] === 1 && zeros(address, 6, 12)) return address.subarray(12);
  return undefined;
}

function isMapped(address: Uint8Array): boolean {
  return zeros(address, 0, 10) && address[10] === 0xff && address[11] === 0xff;
}

/** True when bytes [from, to) are all zero. */
function zeros(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** Mapped and compatible addresses are the IPv4 address itself; other embeddings are not. */
function isIpv4Alias(address: Uint8Array): boolean {
  return zeros(address, 0, 10) && embedded(address) !== undefined;
}

/** See `embedded`; the embedded IPv4 in dotted form. */
export function embeddedIpv4(address: string): string | undefined {
  const bytes = parseIp(address);
  const inner = bytes && embedded(bytes);
  return inner && formatIp(inner);
}

/** Dotted quad, or RFC 5952 IPv6 text (lower case, longest run of two or more zero groups as ::). */
function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const [runStart, runLength] = longestZeroRun(bytes);
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (i === runStart) {
      text += i === 0 ? '::' : ':';
      i += runLength - 1;
      continue;
    }
    text += (((bytes[i * 2] ?? 0) << 8) | (bytes[i * 2 + 1] ?? 0)).toString(16);
    if (i < 7) text += ':';
  }
  return text;
}

/** The first longest run of two or more zero groups (RFC 5952 §4.2.2-4.2.3), or [-1, 0]. */
function longestZeroRun(bytes: Uint8Array): readonly [number, number] {
  let start = -1;
  let length = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && bytes[j * 2] === 0 && bytes[j * 2 + 1] === 0) j++;
    if (j - i > length) [start, length] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  return start < 0 ? [-1, 0] : [start, length];
}

/** Config CIDRs by family; an IPv6 CIDR inside ::ffff:0:0/96 is the IPv4 CIDR it spells. */
function prefixesOf(cidrs: readonly string[]): { readonly v4: Prefix[]; readonly v6: Prefix[] } {
  const v4: Prefix[] = [];
  const v6: Prefix[] = [];
  for (const cidr of cidrs) {
    const prefix = parseCidr(cidr);
    if (prefix === undefined) continue; // the schema validated it; a bad one covers nothing
    if (prefix.bytes.length === 4) v4.push(prefix);
    else if (prefix.bits >= 96 && isMapped(prefix.bytes))
      v4.push({ bytes: prefix.bytes.subarray(12), bits: prefix.bits - 96 });
    else v6.push(prefix);
  }
  return { v4, v6 };
}

// Verdicts are cached by text: the same few peers recur on every Send. Cleared when full, which
// bounds memory at the cost of re-parsing for a client spraying addresses.
const CACHE_LIMIT = 512;

const INVALID: PeerVerdict = Object.freeze({ allowed: false, reason: 'turn.peer-invalid' });

function deny(reason: PeerDenialReason): PeerVerdict {
  return { allowed: false, reason };
}

export function createPeerPolicy(config: {
  readonly denied: readonly string[];
  readonly allowed: readonly string[];
}): PeerPolicy {
  const allowed = prefixesOf(config.allowed);
  const denied = prefixesOf(config.denied);
  const cache = new Map<string, PeerVerdict>();

  function judgeIpv4(address: Uint8Array): PeerVerdict {
    if (coveredByAny(allowed.v4, address)) return { allowed: true, address: formatIp(address) };
    const reason = ipv4Reason(address);
    if (reason !== undefined) return deny(reason);
    if (coveredByAny(denied.v4, address)) return deny('turn.peer-denied');
    return { allowed: true, address: formatIp(address) };
  }

  function judgeIpv6(address: Uint8Array): PeerVerdict {
    if (coveredByAny(allowed.v6, address)) return { allowed: true, address: formatIp(address) };
    const own = ipv6Reason(address);
    if (own !== undefined) return deny(own);
    const inner = embedded(address);
    if (inner !== undefined) {
      const reason = ipv4Reason(inner);
      if (reason !== undefined) return deny(reason);
      if (coveredByAny(denied.v4, inner)) return deny('turn.peer-denied');
    } else if (!isGlobalUnicast(address)) {
      return deny('turn.peer-special');
    }
    if (coveredByAny(denied.v6, address)) return deny('turn.peer-denied');
    return { allowed: true, address: formatIp(address) };
  }

  function judge(text: string): PeerVerdict {
    const bytes = parseIp(text);
    if (bytes === undefined) return INVALID;
    if (bytes.length === 4) return judgeIpv4(bytes);
    return isIpv4Alias(bytes) ? judgeIpv4(bytes.subarray(12)) : judgeIpv6(bytes);
  }

  return {
    check(address: string): PeerVerdict {
      const cached = cache.get(address);
      if (cached !== undefined) return cached;
      const verdict = Object.freeze(judge(address));
      if (address.length <= 45) {
        if (cache.size >= CACHE_LIMIT) cache.clear();
        cache.set(address, verdict);
      }
      return verdict;
    },
  };
}
