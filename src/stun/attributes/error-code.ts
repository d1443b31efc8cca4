// ERROR-CODE (RFC 8489 §14.8): class*100 + number, then a UTF-8 reason phrase.

import { reasonPhrases } from '../constants.ts';
import { readText } from './text.ts';

export interface StunError {
  readonly code: number;
  readonly reason: string;
}

export type ErrorCodeProblem =
  'stun.error-code-length' | 'stun.error-code-range' | 'stun.error-reason';

export function readErrorCode(value: Uint8Array): StunError | ErrorCodeProblem {
  if (value.length < 4) return 'stun.error-code-length';
  const code = ((value[2] ?? 0) & 0x07) * 100 + (value[3] ?? 0);
  if (code < 300 || code > 699 || (value[3] ?? 0) > 99) return 'stun.error-code-range';
  const reason = readText(value.subarray(4));
  if (reason.kind !== 'ok') return 'stun.error-reason';
  return { code, reason: reason.value };
}

/** The reason phrase is our constant for the code: never text taken from a request. */
export function writeErrorCode(code: number, reason = reasonPhrases.get(code) ?? ''): Uint8Array {
  const text = Buffer.from(reason, 'utf8');
  const out = new Uint8Array(4 + text.length);
  out[2] = Math.floor(code / 100) & 0x07;
  out[3] = code % 100;
  out.set(text, 4);
  return out;
}
