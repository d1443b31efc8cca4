// The field names the gateway acts on (RFC 9110, RFC 9112, RFC 7239), recognised without allocating.

import { byteAt, equalsLower } from './chars.ts';

export const Field = {
  other: 0,
  host: 1,
  contentLength: 2,
  transferEncoding: 3,
  connection: 4,
  keepAlive: 5,
  proxyConnection: 6,
  te: 7,
  upgrade: 8,
  proxyAuthorization: 9,
  authorization: 10,
  expect: 11,
  xForwardedFor: 12,
  forwarded: 13,
  xForwardedProto: 14,
  xForwardedHost: 15,
  xRealIp: 16,
  /** "Content_Length", "Transfer_Encoding": refused, since a CGI-style backend reads "_" as "-". */
  framingLookalike: 17,
} as const;
export type Field = (typeof Field)[keyof typeof Field];

const names: readonly (readonly [string, Field])[] = [
  ['host', Field.host],
  ['content-length', Field.contentLength],
  ['transfer-encoding', Field.transferEncoding],
  ['connection', Field.connection],
  ['keep-alive', Field.keepAlive],
  ['proxy-connection', Field.proxyConnection],
  ['te', Field.te],
  ['upgrade', Field.upgrade],
  ['proxy-authorization', Field.proxyAuthorization],
  ['authorization', Field.authorization],
  ['expect', Field.expect],
  ['x-forwarded-for', Field.xForwardedFor],
  ['forwarded', Field.forwarded],
  ['x-forwarded-proto', Field.xForwardedProto],
  ['x-forwarded-host', Field.xForwardedHost],
  ['x-real-ip', Field.xRealIp],
  ['content_length', Field.framingLookalike],
  ['transfer_encoding', Field.framingLookalike],
];

/** One step of the name hash, over bytes folded to lower case (the scanner runs it per byte). */
export function hashStep(hash: number, c: number): number {
  return (Math.imul(hash, 31) + (c | 0x20)) | 0;
}

const SLOT_MASK = 127;
/** Field id per hash slot (0: no known name) and the name to confirm it with. */
const slotFields = new Uint8Array(SLOT_MASK + 1);
const slotNames: string[] = [];
for (const [name, field] of names) {
  let hash = 0;
  for (let i = 0; i < name.length; i++) hash = hashStep(hash, name.charCodeAt(i));
  const slot = hash & SLOT_MASK;
  if (slotFields[slot] !== 0) throw new Error(`field name hash collision: ${name}`);
  slotFields[slot] = field;
  slotNames[slot] = name;
}

/** Which known field bytes[start..end) names, given its hashStep hash; `other` if none. */
export function classifyHashedName(
  bytes: Uint8Array,
  start: number,
  end: number,
  hash: number,
): Field {
  const slot = hash & SLOT_MASK;
  const field = slotFields[slot] ?? 0;
  if (field === 0) return Field.other;
  // RFC 9110 §5.1: field names are case-insensitive.
  return equalsLower(bytes, start, end, slotNames[slot] ?? '') ? (field as Field) : Field.other;
}

/** Which known field bytes[start..end) names; `other` if none. */
export function classifyFieldName(bytes: Uint8Array, start: number, end: number): Field {
  let hash = 0;
  for (let p = start; p < end; p++) hash = hashStep(hash, byteAt(bytes, p));
  return classifyHashedName(bytes, start, end, hash);
}
