// MAPPED-ADDRESS family (RFC 8489 §14.1-14.2; RFC 3489 §11.2.1): plain and XOR'd transport addresses.

import { isIPv4, isIPv6 } from 'node:net';
import { MAGIC_COOKIE } from '../constants.ts';

export interface TransportAddress {
  readonly family: 4 | 6;
  readonly address: string;
  readonly port: number;
}

export type AddressProblem = 'stun.address-length' | 'stun.address-family';

const FAMILY_IPV4 = 0x01;
const FAMILY_IPV6 = 0x02;

export function ipToBytes(address: string): Uint8Array | undefined {
  const v4 = new Uint8Array(4);
  if (readDottedQuad(address, v4)) return v4;
  if (isIPv4(address)) return undefined; // a form like 127.1 that Node accepts and we do not
  if (!isIPv6(address)) return undefined;
  return ipv6ToBytes(address);
}

/**
 * Parses a canonical dotted quad (no leading zeros) into `out` by char codes: the per-answer path
 * for every IPv4 client, so no split, regex or Number().
 */
function readDottedQuad(text: string, out: Uint8Array): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || part > 3) return false;
      out[part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && value === 0) return false; // leading zero
      value = value * 10 + c - 0x30;
      if (++digits > 3 || value > 255) return false;
    } else {
      return false;
    }
  }
  return part === 4;
}

function ipv6ToBytes(address: string): Uint8Array {
  const out = new Uint8Array(16);
  let text = address;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // A trailing dotted quad (::ffff:1.2.3.4) fills the last four bytes.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  let words = 8;
  if (tail.includes('.')) {
    const v4 = ipToBytes(tail);
    if (v4) out.set(v4, 12);
    // The dotted quad stands for the last two words: hold both places so '::' expands to the right count.
    text = text.slice(0, lastColon + 1) + '0:0';
    words = 6;
  }
  const [headText = '', tailText] = text.split('::');
  const head = headText === '' ? [] : headText.split(':');
  const rest = tailText === undefined || tailText === '' ? [] : tailText.split(':');
  const groups =
    tailText === undefined
      ? head
      : [...head, ...new Array<string>(8 - head.length - rest.length).fill('0'), ...rest];
  for (let i = 0; i < words; i++) {
    const value = parseInt(groups[i] ?? '0', 16);
    out[i * 2] = value >> 8;
    out[i * 2 + 1] = value & 0xff;
  }
  return out;
}

export function bytesToIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2)
    words.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  // RFC 5952: compress the longest run (at least two) of zero words.
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  if (bestLength < 2) return words.join(':');
  return `${words.slice(0, bestStart).join(':')}::${words.slice(bestStart + bestLength).join(':')}`;
}

/** Reads a (non-XOR) address value; `mask` XORs port and address in place of a copy when given. */
function readAddressValue(
  value: Uint8Array,
  mask: Uint8Array | undefined,
): TransportAddress | AddressProblem {
  if (value.length < 4) return 'stun.address-length';
  const family = value[1];
  const size = family === FAMILY_IPV4 ? 4 : family === FAMILY_IPV6 ? 16 : 0;
  if (size === 0) return 'stun.address-family';
  if (value.length !== 4 + size) return 'stun.address-length';
  let port = ((value[2] ?? 0) << 8) | (value[3] ?? 0);
  const ip = new Uint8Array(size);
  for (let i = 0; i < size; i++) ip[i] = (value[4 + i] ?? 0) ^ (mask?.[i] ?? 0);
  if (mask) port ^= MAGIC_COOKIE >>> 16;
  return { family: size === 4 ? 4 : 6, address: bytesToIp(ip), port };
}

export function readAddress(value: Uint8Array): TransportAddress | AddressProblem {
  return readAddressValue(value, undefined);
}

/** RFC 8489 §14.2: X-Port = port ^ top 16 bits of the cookie; X-Address ^ cookie (‖ transaction id). */
export function readXorAddress(
  value: Uint8Array,
  transactionId: Uint8Array,
): TransportAddress | AddressProblem {
  return readAddressValue(value, xorMask(transactionId));
}

function xorMask(transactionId: Uint8Array): Uint8Array {
  const mask = new Uint8Array(16);
  mask[0] = MAGIC_COOKIE >>> 24;
  mask[1] = (MAGIC_COOKIE >>> 16) & 0xff;
  mask[2] = (MAGIC_COOKIE >>> 8) & 0xff;
  mask[3] = MAGIC_COOKIE & 0xff;
  mask.set(transactionId.subarray(transactionId.length - 12), 4);
  return mask;
}

function writeAddressValue(
  address: TransportAddress,
  transactionId: Uint8Array | undefined,
): Uint8Array {
  const ip = ipToBytes(address.address) ?? new Uint8Array(address.family === 4 ? 4 : 16);
  const out = new Uint8Array(4 + ip.length);
  out[1] = ip.length === 4 ? FAMILY_IPV4 : FAMILY_IPV6;
  const port = transactionId ? address.port ^ (MAGIC_COOKIE >>> 16) : address.port;
  out[2] = port >> 8;
  out[3] = port & 0xff;
  out.set(ip, 4);
  if (transactionId) {
    // RFC 8489 §14.2: XOR with the magic cookie, then (IPv6) with the 12-byte transaction id.
    out[4] = (out[4] ?? 0) ^ (MAGIC_COOKIE >>> 24);
    out[5] = (out[5] ?? 0) ^ ((MAGIC_COOKIE >>> 16) & 0xff);
    out[6] = (out[6] ?? 0) ^ ((MAGIC_COOKIE >>> 8) & 0xff);
    out[7] = (out[7] ?? 0) ^ (MAGIC_COOKIE & 0xff);
    const id = transactionId.subarray(transactionId.length - 12);
    for (let i = 8; i < 4 + ip.length; i++) out[i] = (out[i] ?? 0) ^ (id[i - 8] ?? 0);
  }
  return out;
}

export function writeAddress(address: TransportAddress): Uint8Array {
  return writeAddressValue(address, undefined);
}

export function writeXorAddress(address: TransportAddress, transactionId: Uint8Array): Uint8Array {
  return writeAddressValue(address, transactionId);
}

export function isAddressProblem(
  value: TransportAddress | AddressProblem,
): value is AddressProblem {
  return typeof value === 'string';
}

/** Node reports IPv4-mapped sources on dual-stack sockets as ::ffff:a.b.c.d; STUN wants the IPv4. */
export function transportAddressOf(address: string, port: number): TransportAddress {
  if (address.startsWith('::ffff:') && isIPv4(address.slice(7))) {
    return { family: 4, address: address.slice(7), port };
  }
  // Node hands us IP literals: a colon means IPv6 (no regex on the per-datagram path).
  return { family: address.includes(':') ? 6 : 4, address, port };
}
