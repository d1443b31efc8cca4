// IPv6 text <-> eight 16-bit groups without allocating: parse, mask to a prefix, print as RFC 5952 does.

const COLON = 0x3a;
const DOT = 0x2e;

/** Eight 16-bit groups, most significant first. */
export type Ipv6Groups = Uint16Array;

export function createGroups(): Ipv6Groups {
  return new Uint16Array(8);
}

/**
 * Reads an IPv6 literal (`::`, a trailing dotted quad, a `%zone` ignored) into `out`; false when
 * the text is not one (then `out` holds garbage). No allocation: this runs per datagram.
 */
export function parseIpv6(text: string, out: Ipv6Groups): boolean {
  const zone = text.indexOf('%'); // a zone index (`fe80::1%eth0`) names a link, not an address
  const end = zone < 0 ? text.length : zone;
  const gap = text.indexOf('::');
  if (gap < 0 || gap >= end) return readGroups(text, 0, end, out, 0, 8) === 8;
  // RFC 4291 §2.2: `::` stands for one or more zero groups, so at most 7 are written.
  const head = readGroups(text, 0, gap, out, 0, 7);
  if (head < 0) return false;
  const tail = readGroups(text, gap + 2, end, out, head, 7 - head);
  if (tail < 0) return false;
  for (let k = 1; k <= tail; k++) out[8 - k] = out[head + tail - k] ?? 0;
  for (let g = head; g < 8 - tail; g++) out[g] = 0;
  return true;
}

/** `h:h:…` between start and stop into out[offset…]: the number of groups, or -1. */
function readGroups(
  text: string,
  start: number,
  stop: number,
  out: Ipv6Groups,
  offset: number,
  max: number,
): number {
  if (start === stop) return 0;
  let count = 0;
  for (let at = start; ; at++) {
    if (count >= max) return -1;
    const read = readHex(text, at, stop);
    const digits = read & 7;
    if (at + digits < stop && text.charCodeAt(at + digits) === DOT) {
      // RFC 4291 §2.2 form 3: the last 32 bits as a dotted quad.
      const ipv4 = count + 2 <= max ? parseIpv4(text, at, stop) : -1;
      if (ipv4 < 0) return -1;
      out[offset + count] = ipv4 >>> 16;
      out[offset + count + 1] = ipv4 & 0xffff;
      return count + 2;
    }
    if (digits === 0 || digits > 4) return -1;
    out[offset + count++] = read >>> 3;
    at += digits;
    if (at === stop) return count;
    if (text.charCodeAt(at) !== COLON) return -1;
  }
}

/** Up to 5 hex digits from `at`: value × 8 + digit count (5 = too many for a group). */
function readHex(text: string, at: number, stop: number): number {
  let value = 0;
  let digits = 0;
  for (; at < stop && digits < 5; at++, digits++) {
    const hex = hexValue(text.charCodeAt(at));
    if (hex < 0) break;
    value = value * 16 + hex;
  }
  return value * 8 + digits;
}

/** A dotted quad between `start` and `end` as an unsigned 32-bit number, or -1. */
export function parseIpv4(text: string, start: number, end: number): number {
  let result = 0;
  let parts = 0;
  let at = start;
  while (parts < 4) {
    let value = 0;
    let digits = 0;
    for (let code = text.charCodeAt(at); at < end && code >= 0x30 && code <= 0x39;) {
      value = value * 10 + (code - 0x30);
      digits++;
      code = text.charCodeAt(++at);
    }
    if (digits === 0 || digits > 3 || value > 255) return -1;
    result = result * 256 + value;
    parts++;
    if (parts < 4) {
      if (at >= end || text.charCodeAt(at) !== DOT) return -1;
      at++;
    }
  }
  return at === end ? result : -1;
}

/** Clears every bit after the first `prefix` bits. */
export function maskIpv6(groups: Ipv6Groups, prefix: number): void {
  for (let g = 0; g < 8; g++) {
    const bits = prefix - 16 * g;
    if (bits <= 0) groups[g] = 0;
    else if (bits < 16) groups[g] = (groups[g] ?? 0) & ((0xffff << (16 - bits)) & 0xffff);
  }
}

/** RFC 4291 §2.5.5.2: `::ffff:a.b.c.d` carries an IPv4 address. */
export function isIpv4Mapped(groups: Ipv6Groups): boolean {
  return (
    groups[0] === 0 &&
    groups[1] === 0 &&
    groups[2] === 0 &&
    groups[3] === 0 &&
    groups[4] === 0 &&
    groups[5] === 0xffff
  );
}

/** The IPv4 address in the last 32 bits, dotted. */
export function formatMappedIpv4(groups: Ipv6Groups): string {
  const high = groups[6] ?? 0;
  const low = groups[7] ?? 0;
  return `${high >>> 8}.${high & 0xff}.${low >>> 8}.${low & 0xff}`;
}

/** RFC 5952 §4: lower case, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
export function formatIpv6(groups: Ipv6Groups): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let g = 0; g < 8;) {
    if (groups[g] !== 0) {
      g++;
      continue;
    }
    const start = g;
    while (g < 8 && groups[g] === 0) g++;
    if (g - start > bestLength) [bestStart, bestLength] = [start, g - start];
  }
  let text = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      text += '::';
      g += bestLength - 1;
      continue;
    }
    if (text !== '' && !text.endsWith(':')) text += ':';
    text += (groups[g] ?? 0).toString(16);
  }
  return text;
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}
