// Reading one side of an HTTP connection piece by piece: a head (decoded as it arrives, within a
// deadline) and then a body by its framing, piped on with backpressure. Bytes read past the piece
// stay in the inbox for the next one. The socket keeps flowing between pieces (bytes nobody asked
// for are kept, up to STASH_LIMIT_BYTES, then it pauses): pausing and resuming a socket stops and
// restarts reading in libuv, which would cost several system calls per request.
import type { Socket } from 'node:net';
import type { Decoded } from '../../codec/decoded.ts';
import type { ChunkedFramer } from './chunked.ts';
import type { BodyFraming } from './framing.ts';
import type { ChunkedProblem } from './problem.ts';

export interface Inbox {
  readonly socket: Socket;
  /** Read from the socket but not consumed yet (the start of the next piece). */
  pending: Buffer | undefined;
  /** The peer's FIN has been read. */
  ended: boolean;
  /** Who reads the data now; undefined: it is kept in `pending`. */
  consumer: ((chunk: Buffer) => void) | undefined;
  onEnd: (() => void) | undefined;
  /** Hands the socket over (a tunnel): the inbox stops listening and the socket is paused. */
  detach(): void;
}

/** Kept unread before the socket is paused: a pipelined request or two, or a stray answer. */
const STASH_LIMIT_BYTES = 65_536;

export type HeadRead<T, P extends string> =
  | { readonly kind: 'ok'; readonly value: T }
  | { readonly kind: 'malformed'; readonly reason: P }
  /** `received` bytes of an unfinished head arrived before the deadline. */
  | { readonly kind: 'timeout'; readonly received: number }
  | { readonly kind: 'closed'; readonly received: number };

export type BodyEnd =
  | { readonly kind: 'done' }
  /** The source ended or closed before the body did. */
  | { readonly kind: 'closed' }
  /** The destination closed while the body was being piped. */
  | { readonly kind: 'target-closed' }
  | { readonly kind: 'malformed'; readonly reason: ChunkedProblem };

const DONE: BodyEnd = { kind: 'done' };
const CLOSED: BodyEnd = { kind: 'closed' };
const TARGET_CLOSED: BodyEnd = { kind: 'target-closed' };

export function createInbox(socket: Socket): Inbox {
  const onData = (chunk: Buffer): void => {
    if (inbox.consumer !== undefined) {
      inbox.consumer(chunk);
      return;
    }
    const kept = inbox.pending === undefined ? chunk : Buffer.concat([inbox.pending, chunk]);
    inbox.pending = kept;
    if (kept.length >= STASH_LIMIT_BYTES) socket.pause();
  };
  const inbox: Inbox = {
    socket,
    pending: undefined,
    ended: false,
    consumer: undefined,
    onEnd: undefined,
    detach() {
      socket.off('data', onData);
      socket.pause();
    },
  };
  socket.on('data', onData);
  socket.once('end', () => {
    inbox.ended = true;
    inbox.onEnd?.();
  });
  socket.resume();
  return inbox;
}

/** Reads on, unless stashed bytes hold the socket back until a consumer takes them. */
function flow(inbox: Inbox): void {
  if (inbox.socket.isPaused()) inbox.socket.resume();
}

function isFinished(inbox: Inbox): boolean {
  return inbox.ended || inbox.socket.destroyed;
}

/** Reads until `decode` says ok or malformed; the bytes after the head stay pending. */
export function readHead<T, P extends string>(
  inbox: Inbox,
  decode: (bytes: Buffer) => Decoded<T, P>,
  timeoutMs: number,
): Promise<HeadRead<T, P>> {
  const { socket } = inbox;
  let buffer = inbox.pending ?? Buffer.alloc(0);
  inbox.pending = undefined;
  return new Promise((resolve) => {
    const finish = (read: HeadRead<T, P>): void => {
      clearTimeout(timer);
      inbox.consumer = undefined;
      inbox.onEnd = undefined;
      socket.off('close', onEnd);
      resolve(read);
    };
    /** True when finished. */
    const tryDecode = (): boolean => {
      if (buffer.length === 0) return false;
      const decoded = decode(buffer);
      if (decoded.kind === 'incomplete') return false;
      if (decoded.kind === 'malformed') {
        finish({ kind: 'malformed', reason: decoded.reason });
        return true;
      }
      if (decoded.size < buffer.length) inbox.pending = buffer.subarray(decoded.size);
      finish({ kind: 'ok', value: decoded.value });
      return true;
    };
    const onData = (chunk: Buffer): void => {
      // Heads are bounded by the decoder's limit, so copying on each chunk stays small.
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      tryDecode();
    };
    const onEnd = (): void => {
      if (!tryDecode()) finish({ kind: 'closed', received: buffer.length });
    };
    const timer = setTimeout(() => {
      finish({ kind: 'timeout', received: buffer.length });
    }, timeoutMs);
    if (tryDecode()) return;
    if (isFinished(inbox)) {
      finish({ kind: 'closed', received: buffer.length });
      return;
    }
    inbox.consumer = onData;
    inbox.onEnd = onEnd;
    socket.once('close', onEnd);
    flow(inbox);
  });
}

/** Counts what one body step consumed; `isDone` once the framing says the body is complete. */
interface Step {
  taken: number;
  isDone: boolean;
  problem: ChunkedProblem | undefined;
}

function stepper(framing: BodyFraming, framer: ChunkedFramer): (chunk: Buffer) => Step {
  const step: Step = { taken: 0, isDone: false, problem: undefined };
  let remaining = framing.kind === 'length' ? framing.length : 0;
  if (framing.kind === 'chunked') framer.reset();
  return (chunk) => {
    if (framing.kind === 'chunked') {
      const taken = framer.feed(chunk);
      step.taken = Math.max(taken, 0);
      step.isDone = framer.isDone;
      step.problem = taken < 0 ? (framer.problem ?? 'http.bad-chunk-size') : undefined;
    } else if (framing.kind === 'length') {
      step.taken = Math.min(remaining, chunk.length);
      remaining -= step.taken;
      step.isDone = remaining === 0;
    } else {
      step.taken = chunk.length;
    }
    return step;
  };
}

export interface PipeOptions {
  readonly framing: BodyFraming;
  /** Reused across bodies of a connection (reset here). */
  readonly framer: ChunkedFramer;
  readonly count: (bytes: number) => void;
}

/**
 * Pipes the body that starts at the inbox's next byte to `target` (paused while `target` is full),
 * never past its end: bytes after it stay pending. A 'close' body is done when the source ends.
 */
export function pipeBody(inbox: Inbox, target: Socket, options: PipeOptions): Promise<BodyEnd> {
  const { framing } = options;
  if (framing.kind === 'none' || (framing.kind === 'length' && framing.length === 0)) {
    return Promise.resolve(DONE);
  }
  const step = stepper(framing, options.framer);
  const { socket } = inbox;
  const sourceEnd = framing.kind === 'close' ? DONE : CLOSED;
  return new Promise((resolve) => {
    let isSettled = false;
    const finish = (end: BodyEnd): void => {
      if (isSettled) return;
      isSettled = true;
      inbox.consumer = undefined;
      inbox.onEnd = undefined;
      socket.off('close', onSourceEnd);
      target.off('drain', onDrain);
      target.off('close', onTargetClose);
      if (!target.writableNeedDrain) flow(inbox);
      resolve(end);
    };
    /** True when finished. */
    const take = (chunk: Buffer): boolean => {
      const { taken, isDone, problem } = step(chunk);
      if (taken < chunk.length && problem === undefined) inbox.pending = chunk.subarray(taken);
      if (taken > 0) {
        options.count(taken);
        const isFull = !target.write(taken === chunk.length ? chunk : chunk.subarray(0, taken));
        if (isFull && !isDone) socket.pause();
      }
      if (problem !== undefined) finish({ kind: 'malformed', reason: problem });
      else if (isDone) finish(DONE);
      return isSettled;
    };
    const onData = (chunk: Buffer): void => {
      take(chunk);
    };
    const onSourceEnd = (): void => {
      finish(sourceEnd);
    };
    const onDrain = (): void => {
      socket.resume();
    };
    const onTargetClose = (): void => {
      finish(TARGET_CLOSED);
    };
    const initial = inbox.pending;
    inbox.pending = undefined;
    if (initial !== undefined && take(initial)) return;
    if (target.destroyed) {
      finish(TARGET_CLOSED);
      return;
    }
    if (isFinished(inbox)) {
      finish(sourceEnd);
      return;
    }
    inbox.consumer = onData;
    inbox.onEnd = onSourceEnd;
    socket.once('close', onSourceEnd);
    target.on('drain', onDrain);
    target.once('close', onTargetClose);
    if (target.writableNeedDrain) socket.pause();
    else flow(inbox);
  });
}
