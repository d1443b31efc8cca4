// An incremental framer for chunked bodies (RFC 9112 §7.1): fed the relayed bytes as they arrive, it
// says how many belong to the body and when the body (last chunk, trailers, CRLF) has ended.
// Strict where request smuggling lives: hex sizes only, CRLF after every line and after the data,
// bounded extensions and trailers. No allocation per call; malformed input is a value, never thrown.

import type { ChunkedProblem } from './problem.ts';
import { type ChunkState, Phase, stepLine } from './chunked-line.ts';

export interface ChunkedLimits {
  /** Most chunk-extension bytes over the whole body (Node's llhttp allows 16 KiB). */
  readonly maxExtensionBytes: number;
  /** Most trailer-section bytes. */
  readonly maxTrailerBytes: number;
}

export const defaultChunkedLimits: ChunkedLimits = {
  maxExtensionBytes: 4096,
  maxTrailerBytes: 8192,
};

export interface ChunkedFramer {
  /**
   * Frames bytes[from..to) as the next bytes of the body. Returns how many of them belong to the
   * body (fewer than offered once the body ends: the rest is the next message), or -1 when the body
   * is malformed (see `problem`). After the end it returns 0; after a problem, -1.
   */
  feed(bytes: Uint8Array, from?: number, to?: number): number;
  /** The last chunk, trailers and final CRLF have been framed. */
  readonly isDone: boolean;
  readonly problem: ChunkedProblem | undefined;
  /** Offset of the problem, counted from the first body byte. */
  readonly problemOffset: number;
  /** Body bytes framed so far, framing included. */
  readonly consumed: number;
  /** Chunk-data bytes (the payload) framed so far. */
  readonly dataBytes: number;
  /** Starts over for the next body. */
  reset(): void;
}

function freshState(limits: ChunkedLimits): ChunkState {
  return {
    phase: Phase.size,
    size: 0,
    digits: 0,
    remaining: 0,
    extensionBytes: 0,
    trailerBytes: 0,
    problem: undefined,
    limits,
  };
}

export function createChunkedFramer(limits: ChunkedLimits = defaultChunkedLimits): ChunkedFramer {
  let state = freshState(limits);
  let consumed = 0;
  let dataBytes = 0;
  let problemOffset = -1;

  function feed(bytes: Uint8Array, from = 0, to = bytes.length): number {
    const s = state;
    if (s.phase === Phase.done) return 0;
    if (s.phase === Phase.failed) return -1;
    let p = from;
    while (p < to) {
      if (s.phase === Phase.data) {
        const take = Math.min(s.remaining, to - p);
        p += take;
        dataBytes += take;
        s.remaining -= take;
        if (s.remaining === 0) s.phase = Phase.dataCr;
        continue;
      }
      const phase = stepLine(s, bytes[p] ?? 0);
      if (phase === Phase.failed) {
        problemOffset = consumed + p - from;
        consumed += p - from;
        return -1;
      }
      p++;
      if (phase === Phase.done) break;
    }
    consumed += p - from;
    return p - from;
  }

  return {
    feed,
    get isDone() {
      return state.phase === Phase.done;
    },
    get problem() {
      return state.problem;
    },
    get problemOffset() {
      return problemOffset;
    },
    get consumed() {
      return consumed;
    },
    get dataBytes() {
      return dataBytes;
    },
    reset() {
      state = freshState(limits);
      consumed = 0;
      dataBytes = 0;
      problemOffset = -1;
    },
  };
}
