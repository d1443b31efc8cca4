// UNKNOWN-ATTRIBUTES (RFC 8489 §14.13) and the check that produces it (§7.3.1: 420 for requests).

import { isComprehensionRequired } from '../constants.ts';
import type { StunMessage } from '../message.ts';

/** The comprehension-required attribute types in the message that `known` does not contain. */
export function unknownRequiredAttributes(
  message: StunMessage,
  known: ReadonlySet<number>,
): number[] {
  const unknown: number[] = [];
  for (const { type } of message.attributes) {
    if (isComprehensionRequired(type) && !known.has(type) && !unknown.includes(type))
      unknown.push(type);
  }
  return unknown;
}

export function readUnknownAttributes(value: Uint8Array): number[] {
  const types: number[] = [];
  for (let at = 0; at + 1 < value.length; at += 2)
    types.push(((value[at] ?? 0) << 8) | (value[at + 1] ?? 0));
  return types;
}

export function writeUnknownAttributes(types: readonly number[]): Uint8Array {
  const out = new Uint8Array(types.length * 2);
  types.forEach((type, i) => {
    out[i * 2] = type >> 8;
    out[i * 2 + 1] = type & 0xff;
  });
  return out;
}
