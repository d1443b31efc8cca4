// Frames a relayed LDAP stream incrementally (RFC 4511 §4.1.1): chunks may split a message anywhere.
// Each message's first octets, up to a window, are collected for inspection and the rest is skipped
// by count, so a large SearchResultEntry or password costs no buffering.

import { readBerHeader } from '../../codec/ber.ts';

export type SplitResult =
  /** The chunk was walked to its end. */
  | 'ok'
  /** `visit` returned false; the splitter walks no more. */
  | 'stopped'
  /** The stream is not a sequence of BER SEQUENCEs (TLS, garbage); the splitter walks no more. */
  | 'not-ber';

/** Sees a message's first octets (at most the window; a reused buffer) and the message's size. */
export type Visit = (prefix: Uint8Array, size: number) => boolean;

export interface MessageSplitter {
  push(chunk: Uint8Array, visit: Visit): SplitResult;
}

const SEQUENCE = 0x30;

interface State {
  readonly head: Uint8Array;
  /** Octets of the current message in `head`. */
  filled: number;
  /** The current message's size, once its header is in. */
  size: number | undefined;
  /** Octets of the current message walked (copied or skipped). */
  consumed: number;
  visited: boolean;
  done: Exclude<SplitResult, 'ok'> | undefined;
}

function copy(state: State, chunk: Uint8Array, at: number, count: number): number {
  const n = Math.min(count, chunk.length - at);
  state.head.set(chunk.subarray(at, at + n), state.filled);
  state.filled += n;
  state.consumed += n;
  return at + n;
}

/** Copies exactly the header's octets, never the next message's; sets `size` once it is in. */
function readHeader(state: State, chunk: Uint8Array, at: number): number {
  const header = readBerHeader(state.head.subarray(0, state.filled), 0);
  if (header.kind === 'ok') {
    if (state.head[0] !== SEQUENCE) state.done = 'not-ber';
    state.size = header.size + header.value.length;
    return at;
  }
  const room = state.head.length - state.filled;
  if (header.kind === 'malformed' || room === 0) {
    state.done = 'not-ber';
    return at;
  }
  return copy(state, chunk, at, Math.min(header.needed, room));
}

function step(state: State, chunk: Uint8Array, at: number, size: number): number {
  const wanted = Math.min(size, state.head.length);
  if (state.filled < wanted) return copy(state, chunk, at, wanted - state.filled);
  const n = Math.min(size - state.consumed, chunk.length - at);
  state.consumed += n;
  return at + n;
}

/** One step of the walk: the new offset in `chunk`, or undefined to wait for the next chunk. */
function advance(state: State, chunk: Uint8Array, at: number, visit: Visit): number | undefined {
  const { size } = state;
  if (size === undefined) {
    const next = readHeader(state, chunk, at);
    return next === at && state.size === undefined ? undefined : next;
  }
  if (!state.visited && state.filled === Math.min(size, state.head.length)) {
    state.visited = true;
    if (!visit(state.head.subarray(0, state.filled), size)) state.done = 'stopped';
    return at;
  }
  if (state.consumed === size) {
    state.filled = 0;
    state.size = undefined;
    state.consumed = 0;
    state.visited = false;
    return at;
  }
  return at < chunk.length ? step(state, chunk, at, size) : undefined;
}

/** A splitter that shows `window` octets of each message (at least 16). */
export function createMessageSplitter(window: number): MessageSplitter {
  const state: State = {
    head: Buffer.alloc(Math.max(16, window)),
    filled: 0,
    size: undefined,
    consumed: 0,
    visited: false,
    done: undefined,
  };
  return {
    push(chunk, visit) {
      for (let at: number | undefined = 0; state.done === undefined && at !== undefined;) {
        if (at >= chunk.length && state.size === undefined) break;
        at = advance(state, chunk, at, visit);
      }
      return state.done ?? 'ok';
    },
  };
}
