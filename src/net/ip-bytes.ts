// IP literals <-> network-order bytes, and the IPv4 address inside an IPv4-mapped IPv6 one.
import { isIPv4, isIPv6 } from 'node:net';
import { canonicalIp } from './listen-url.ts';

const MAPPED_PREFIX = '::ffff:';

/** `::ffff:192.0.2.1` (how a dual-stack socket shows an IPv4 client) -> `192.0.2.1`; others unchanged. */
export function unmapIpv4(ip: string): string {
  if (
    ip.length > MAPPED_PREFIX.length &&
    ip.slice(0, MAPPED_PREFIX.length).toLowerCase() === MAPPED_PREFIX
  ) {
    const tail = ip.slice(MAPPED_PREFIX.length);
    if (isIPv4(tail)) return tail;
  }
  return ip;
}

/** 4 bytes for an IPv4 literal, 16 for an IPv6 one (embedded dotted IPv4 allowed), else undefined. */
export function ipToBytes(ip: string): Uint8Array | undefined {
  if (isIPv4(ip)) return Uint8Array.from(ip.split('.').map(Number));
  if (!isIPv6(ip) || ip.includes('%')) return undefined;
  return ipv6ToBytes(ip);
}

/** The canonical text of a 4- or 16-byte address (IPv6 in RFC 5952 form). */
export function bytesToIp(bytes: Uint8Array): string | undefined {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) return undefined;
  // RFC 5952 §5: an IPv4-mapped address is written with its IPv4 part dotted.
  if (
    bytes.subarray(0, 10).every((byte) => byte === 0) &&
    bytes[10] === 0xff &&
    bytes[11] === 0xff
  ) {
    return `::ffff:${Array.from(bytes.subarray(12)).join('.')}`;
  }
  const groups: string[] = [];
  for (let at = 0; at < 16; at += 2)
    groups.push((((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0)).toString(16));
  return canonicalIp(groups.join(':'));
}

// Called only on text node:net already accepted as IPv6, so every group is 1..4 hex digits.
function ipv6ToBytes(ip: string): Uint8Array {
  const bytes = new Uint8Array(16);
  const [head = '', tail] = ip.split('::');
  const headGroups = groupsOf(head);
  const tailGroups = tail === undefined ? [] : groupsOf(tail);
  headGroups.forEach((group, index) => {
    writeGroup(bytes, index, group);
  });
  const tailStart = 8 - tailGroups.length;
  tailGroups.forEach((group, index) => {
    writeGroup(bytes, tailStart + index, group);
  });
  return bytes;
}

/** Hex groups as numbers; a trailing dotted IPv4 becomes two groups. */
function groupsOf(text: string): number[] {
  if (text === '') return [];
  const groups: number[] = [];
  for (const part of text.split(':')) {
    if (isIPv4(part)) {
      const [a = 0, b = 0, c = 0, d = 0] = part.split('.').map(Number);
      groups.push((a << 8) | b, (c << 8) | d);
    } else {
      groups.push(parseInt(part, 16));
    }
  }
  return groups;
}

function writeGroup(bytes: Uint8Array, index: number, group: number): void {
  bytes[index * 2] = group >> 8;
  bytes[index * 2 + 1] = group & 0xff;
}
