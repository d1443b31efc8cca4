// Loads the HTTP vectors (test/vectors/http/) and frames a raw client byte stream the way the
// pipeline will: head, then body by its framing, then the next head.

import { readFileSync } from 'node:fs';
import { createChunkedFramer } from '../../../src/proxy/http/chunked.ts';
import type { HeadLimits } from '../../../src/proxy/http/problem.ts';
import { decodeRequestHead } from '../../../src/proxy/http/request-head.ts';

export interface SmugglingCase {
  readonly name: string;
  readonly raw: string;
  readonly expect: string;
  readonly source: string;
  readonly limits?: HeadLimits;
  readonly requests?: number;
}

export interface ClientRequest {
  readonly client: string;
  readonly source: string;
  readonly raw: string;
  readonly method: string;
  readonly target: string;
  readonly host: string;
  readonly framing: string;
}

function load(name: string): unknown {
  const file = new URL(`../../vectors/http/${name}`, import.meta.url);
  return JSON.parse(readFileSync(file, 'utf8'));
}

export const smugglingCases = (load('smuggling.json') as { cases: SmugglingCase[] }).cases;
export const clientRequests = (load('clients.json') as { requests: ClientRequest[] }).requests;

export const testLimits: HeadLimits = { maxHeadBytes: 16_384, maxHeaders: 100 };

/** The bytes a vector stands for: each UTF-16 code unit is one byte (latin1). */
export function bytesOf(raw: string): Buffer {
  return Buffer.from(raw, 'latin1');
}

/** The outcome of framing a whole client stream: the first problem, 'incomplete', or 'ok'. */
export function frameStream(
  bytes: Buffer,
  limits: HeadLimits = testLimits,
): { readonly outcome: string; readonly requests: number } {
  let offset = 0;
  let requests = 0;
  while (offset < bytes.length) {
    const head = decodeRequestHead(bytes.subarray(offset), limits);
    if (head.kind !== 'ok') {
      return { outcome: head.kind === 'malformed' ? head.reason : 'incomplete', requests };
    }
    requests++;
    offset += head.size;
    const { framing } = head.value;
    if (framing.kind === 'length') {
      offset += framing.length;
      if (offset > bytes.length) return { outcome: 'incomplete', requests };
    } else if (framing.kind === 'chunked') {
      const framer = createChunkedFramer();
      const used = framer.feed(bytes, offset);
      if (used < 0) return { outcome: framer.problem ?? 'malformed', requests };
      if (!framer.isDone) return { outcome: 'incomplete', requests };
      offset += used;
    }
  }
  return { outcome: 'ok', requests };
}
