// The head sent to the backend (RFC 9110 §7.6, RFC 9112 §9.6, RFC 7239): the client's request line
// and fields minus hop-by-hop fields and (unless the client is a trusted proxy) its forwarding
// fields, plus our X-Forwarded-For, Forwarded, X-Forwarded-Proto and Connection. Sized first and
// written into one allocation; kept fields are copied as runs of their original bytes.

import { equalsLower } from './chars.ts';
import { type ForwardingContext, appendTo, forwardingTail } from './forwarding.ts';
import { Field } from './field-names.ts';
import { FIELD_STRIDE } from './field-lines.ts';
import { ConnectionOption, listsOption } from './lists.ts';
import type { RequestHead } from './request-head.ts';

export type { ForwardingContext } from './forwarding.ts';

const DROP = 0;
const KEEP = 1;
/** Dropped in place, its value carried over into our field (trusted proxies). */
const CARRY = 2;
/** Kept only from a trusted proxy. */
const TRUSTED_KEEP = 3;
/** Kept only when its value is "trailers" (RFC 9110 §10.1.4); we then list TE in Connection. */
const TE_TRAILERS = 4;
/** Kept unless a Connection field names it (RFC 9110 §7.6.1). */
const UNLESS_NAMED = 5;

/** By Field id; Host, Content-Length and Transfer-Encoding always stay (framing, routing). */
const rules = new Uint8Array(32).fill(KEEP);
rules[Field.other] = UNLESS_NAMED;
for (const field of [
  Field.connection,
  Field.keepAlive,
  Field.proxyConnection,
  Field.proxyAuthorization,
  Field.upgrade,
]) {
  rules[field] = DROP;
}
rules[Field.te] = TE_TRAILERS;
rules[Field.xForwardedFor] = CARRY;
rules[Field.forwarded] = CARRY;
rules[Field.xForwardedProto] = TRUSTED_KEEP;
rules[Field.xForwardedHost] = TRUSTED_KEEP;
rules[Field.xRealIp] = TRUSTED_KEEP;

/** Per-field decisions of the current rewrite (synchronous, so one buffer serves every call). */
let decisions = new Uint8Array(128);

function isNamedByConnection(head: RequestHead, at: number): boolean {
  const { fields, bytes } = head;
  if ((head.connection & ConnectionOption.other) === 0) return false;
  for (let j = 0; j < fields.length; j += FIELD_STRIDE) {
    if (fields[j + 4] !== Field.connection) continue;
    const start = fields[j + 2] ?? 0;
    const end = fields[j + 3] ?? 0;
    if (listsOption(bytes, start, end, fields[at] ?? 0, fields[at + 1] ?? 0)) return true;
  }
  return false;
}

function isTeTrailers(head: RequestHead, at: number): boolean {
  return equalsLower(head.bytes, head.fields[at + 2] ?? 0, head.fields[at + 3] ?? 0, 'trailers');
}

/** KEEP, DROP or CARRY for the field at `at`. */
function decide(head: RequestHead, at: number, trusted: boolean): number {
  const rule = rules[head.fields[at + 4] ?? 0] ?? KEEP;
  if (rule === UNLESS_NAMED) return isNamedByConnection(head, at) ? DROP : KEEP;
  if (rule === CARRY) return trusted ? CARRY : DROP;
  if (rule === TRUSTED_KEEP) return trusted ? KEEP : DROP;
  if (rule === TE_TRAILERS) return isTeTrailers(head, at) ? KEEP : DROP;
  return rule;
}

/** The values of the carried fields of kind `field`, as one list ('' when none). */
function carried(head: RequestHead, count: number, field: Field): string {
  let list = '';
  for (let i = 0, at = 0; i < count; i++, at += FIELD_STRIDE) {
    if (decisions[i] !== CARRY || head.fields[at + 4] !== field) continue;
    list = appendTo(list, head.bytes.toString('latin1', head.fields[at + 2], head.fields[at + 3]));
  }
  return list;
}

/** Whether a kept field of kind `field` is present. */
function keeps(head: RequestHead, count: number, field: Field): boolean {
  for (let i = 0, at = 0; i < count; i++, at += FIELD_STRIDE) {
    if (decisions[i] === KEEP && head.fields[at + 4] === field) return true;
  }
  return false;
}

/** Our fields and the empty line that ends the head. */
function tailOf(head: RequestHead, context: ForwardingContext, count: number): Buffer {
  const trusted = context.trustedProxy;
  return forwardingTail(head, context, {
    priorFor: trusted ? carried(head, count, Field.xForwardedFor) : '',
    priorForwarded: trusted ? carried(head, count, Field.forwarded) : '',
    keepsProto: trusted && keeps(head, count, Field.xForwardedProto),
    keepsTe: keeps(head, count, Field.te),
  });
}

/** End of the field line at `at` (just past its CRLF), found from where the next line starts. */
function lineEnd(head: RequestHead, at: number): number {
  const next = at + FIELD_STRIDE;
  return next < head.fields.length ? (head.fields[next] ?? 0) : head.size - 2;
}

/**
 * Copies the request line (from `lineStart`, or none when -1) and the kept field lines into `out`
 * at `offset`, as runs of contiguous original bytes; returns where the copy ended.
 */
function copyKept(
  head: RequestHead,
  count: number,
  lineStart: number,
  out: Buffer,
  offset: number,
): number {
  const { fields, bytes } = head;
  let end = offset;
  let runStart = lineStart;
  for (let i = 0, at = 0; i < count; i++, at += FIELD_STRIDE) {
    if (decisions[i] === KEEP) {
      if (runStart < 0) runStart = fields[at] ?? 0;
    } else if (runStart >= 0) {
      end += bytes.copy(out, end, runStart, fields[at]);
      runStart = -1;
    }
  }
  if (runStart >= 0) end += bytes.copy(out, end, runStart, head.size - 2);
  return end;
}

/** The head to send to the backend for `head`, in one freshly allocated Buffer. */
export function rewriteRequestHead(head: RequestHead, context: ForwardingContext): Buffer {
  const count = head.fields.length / FIELD_STRIDE;
  if (decisions.length < count) decisions = new Uint8Array(count * 2);
  let keptBytes = 0;
  for (let i = 0, at = 0; i < count; i++, at += FIELD_STRIDE) {
    decisions[i] = decide(head, at, context.trustedProxy);
    if (decisions[i] === KEEP) keptBytes += lineEnd(head, at) - (head.fields[at] ?? 0);
  }
  const tail = tailOf(head, context, count);
  // absolute-form becomes origin-form: the backend sees the path the allow-list checked.
  const line =
    head.form === 'absolute' ? `${head.method} ${head.target} HTTP/${head.version}\r\n` : '';
  const lineBytes = line === '' ? head.lineEnd + 2 - head.start : line.length;
  const size = lineBytes + keptBytes + tail.length;
  const out = Buffer.allocUnsafe(size);
  const linesStart = line === '' ? head.start : -1;
  let offset = copyKept(
    head,
    count,
    linesStart,
    out,
    line === '' ? 0 : out.write(line, 0, 'latin1'),
  );
  offset += tail.copy(out, offset);
  if (offset !== size) throw new Error(`rewrite wrote ${offset} of ${size} bytes`);
  return out;
}
