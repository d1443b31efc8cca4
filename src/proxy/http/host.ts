// Host normalisation for routing (ARCHITECTURE.md "Routing keys"; RFC 9110 §7.2, RFC 3986 §3.2.2):
// lower-cased, port stripped, one trailing dot stripped, IPv6 literal without its brackets.
//
// Stricter than RFC 3986 on purpose: a reg-name may hold only unreserved bytes (ALPHA DIGIT - . _ ~),
// no pct-encoding or sub-delims, and no empty label ("a..b", ".a"), because it is a DNS-like
// routing key. An IPv6 literal must satisfy node:net isIPv6 (no zone id, no IPvFuture); the key is
// the address as written, lower-cased, so `[2001:DB8::1]:8443` routes as `2001:db8::1` (the form a
// service name would be written in). IPv4 addresses are reg-name bytes and kept as written.

import { isIPv6 } from 'node:net';
import { HEX_VALUE, HOST_CHAR, asBuffer, byteAt } from './chars.ts';

const COLON = 0x3a;
const DOT = 0x2e;
const OPEN = 0x5b;
const CLOSE = 0x5d;

/** RFC 3986 §3.2.3: port = *DIGIT; we also require it to fit in 16 bits. */
function isPort(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start > 5) return false;
  let value = 0;
  for (let p = start; p < end; p++) {
    const digit = byteAt(bytes, p) - 0x30;
    if (digit < 0 || digit > 9) return false;
    value = value * 10 + digit;
  }
  return value <= 65535;
}

/** After the host: nothing, or ":" and a port. */
function isPortSuffix(bytes: Uint8Array, at: number, end: number): boolean {
  return at === end || (bytes[at] === COLON && isPort(bytes, at + 1, end));
}

function isIpv6Byte(c: number): boolean {
  return HEX_VALUE[c] !== -1 || c === COLON || c === DOT;
}

function readIpv6(bytes: Uint8Array, start: number, end: number): string | undefined {
  let p = start + 1;
  while (p < end && isIpv6Byte(byteAt(bytes, p))) p++;
  if (p >= end || bytes[p] !== CLOSE || !isPortSuffix(bytes, p + 1, end)) return undefined;
  const address = asBuffer(bytes)
    .toString('latin1', start + 1, p)
    .toLowerCase();
  return isIPv6(address) ? address : undefined;
}

/** End of the reg-name at `start` (first byte that is not a host byte), or -1 on an empty label. */
function regNameEnd(bytes: Uint8Array, start: number, end: number): number {
  let previous = DOT; // a leading dot is an empty label
  let p = start;
  for (; p < end; p++) {
    const c = byteAt(bytes, p);
    if (HOST_CHAR[c] !== 1) break;
    if (c === DOT && previous === DOT) return -1;
    previous = c;
  }
  return p;
}

function hasUpperCase(bytes: Uint8Array, start: number, end: number): boolean {
  for (let p = start; p < end; p++) {
    const c = byteAt(bytes, p);
    if (c >= 0x41 && c <= 0x5a) return true;
  }
  return false;
}

function parseHost(bytes: Uint8Array, start: number, end: number): string | undefined {
  if (start >= end) return undefined;
  if (bytes[start] === OPEN) return readIpv6(bytes, start, end);
  const nameEnd = regNameEnd(bytes, start, end);
  if (nameEnd <= start || !isPortSuffix(bytes, nameEnd, end)) return undefined;
  const hostEnd = bytes[nameEnd - 1] === DOT ? nameEnd - 1 : nameEnd; // strip one trailing dot
  if (hostEnd <= start) return undefined;
  const host = asBuffer(bytes).toString('latin1', start, hostEnd);
  return hasUpperCase(bytes, start, hostEnd) ? host.toLowerCase() : host;
}

/** The last valid Host read and its key: keep-alive requests repeat their Host byte for byte. */
const cache = { bytes: new Uint8Array(255), length: -1, key: '' };

function isCached(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start !== cache.length) return false;
  for (let i = 0; i < cache.length; i++) if (bytes[start + i] !== cache.bytes[i]) return false;
  return true;
}

/**
 * The routing key of a Host value (or an absolute-form authority) in bytes[start..end), or
 * undefined when it is not a valid host.
 */
export function readHost(bytes: Uint8Array, start: number, end: number): string | undefined {
  if (isCached(bytes, start, end)) return cache.key;
  const key = parseHost(bytes, start, end);
  if (key !== undefined && end - start <= cache.bytes.length) {
    cache.bytes.set(bytes.subarray(start, end));
    cache.length = end - start;
    cache.key = key;
  }
  return key;
}

/** readHost over a string (SNI, config names, tests); non-ASCII text is never a valid host. */
export function normaliseHost(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return undefined;
  const bytes = Buffer.from(text, 'latin1');
  return readHost(bytes, 0, bytes.length);
}
