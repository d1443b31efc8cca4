// Reads of a plain TCP socket into buffers it reuses (net.Socket's `onread`), for the relay's bulk
// path. Node's default gives every read a fresh 64 KiB ArrayBuffer, freed by a later GC: at relay
// speed (a GiB/s) that churn made a Node relay process fall into a mode 2-4x slower per byte for its
// whole life, one start in three (docs/BENCHMARKS.md, bulk relay). Reused buffers stay hot.
//
// A buffer grows from 4 KiB while reads fill it (to 1 MiB; 64 KiB in streamed mode) and shrinks
// back on a quiet connection, so an idle socket holds 4 KiB. Two modes:
// - streamed (the default): each read is copied and pushed, so 'data', pause() and resume() behave
//   as on any socket (the first message is read this way);
// - direct: each read goes to a sink as a view into the buffer, which the sink releases once it is
//   written; a buffer still lent is never read into again.

import { Socket, type SocketConstructorOpts } from 'node:net';

export const MIN_READ_BYTES = 4 * 1024;
export const MAX_READ_BYTES = 1024 * 1024;
/** Streamed reads are copied anyway: no larger than Node's own reads. */
export const MAX_STREAMED_READ_BYTES = 64 * 1024;
/** Released buffers of the current size kept for the next read: two buffers take turns. */
const SPARES = 1;
/** Reads of at most 1/8 of the buffer in a row before it shrinks. */
const SHRINK_AFTER = 16;

/** A read in direct mode: `chunk` is valid until `release()`, which the sink calls once. */
export type ChunkSink = (chunk: Buffer, release: () => void) => void;

export interface OnRead {
  readonly buffer: () => Uint8Array;
  readonly callback: (bytesRead: number, buffer: Uint8Array) => boolean;
}

export class PooledReads {
  #socket: Socket | undefined;
  #sink: ChunkSink | undefined;
  #size = MIN_READ_BYTES;
  #current: Buffer | undefined;
  #lent = false;
  #spares: Buffer[] = [];
  #smallReads = 0;

  /** The `onread` option of the socket these reads belong to (then call attach). */
  readonly onread: OnRead = {
    buffer: () => this.#next(),
    callback: (bytesRead, buffer) => this.#read(bytesRead, buffer as Buffer),
  };

  attach(socket: Socket): void {
    this.#socket = socket;
  }

  /** The size the next read buffer has (for tests and metrics). */
  get readSize(): number {
    return this.#size;
  }

  /**
   * From now on reads go to `sink` instead of 'data' (the socket must have no 'data' listener left).
   * What streamed mode had already read and nobody consumed is handed to the sink first. Reading
   * starts on the socket's resume().
   */
  direct(sink: ChunkSink): void {
    this.#sink = sink;
    const socket = this.#socket;
    if (socket === undefined || socket.readableLength === 0) return;
    const buffered: unknown = socket.read();
    if (Buffer.isBuffer(buffered)) sink(buffered, noop);
  }

  /** Back to 'data' events (a refused client's FIN is read this way). */
  streamed(): void {
    this.#sink = undefined;
  }

  #read(bytesRead: number, buffer: Buffer): boolean {
    this.#adapt(bytesRead, buffer.length);
    const chunk = buffer.subarray(0, bytesRead);
    const sink = this.#sink;
    if (sink === undefined) return this.#socket?.push(Buffer.from(chunk)) ?? false;
    this.#lent = true;
    let released = false;
    sink(chunk, () => {
      if (released) return;
      released = true;
      this.#giveBack(buffer);
    });
    return true;
  }

  #adapt(bytesRead: number, length: number): void {
    const max = this.#sink === undefined ? MAX_STREAMED_READ_BYTES : MAX_READ_BYTES;
    if (bytesRead === length || this.#size > max) {
      this.#smallReads = 0;
      this.#size = Math.min(max, this.#size * 4);
    } else if (this.#size > MIN_READ_BYTES && bytesRead <= this.#size / 8) {
      if (++this.#smallReads < SHRINK_AFTER) return;
      this.#smallReads = 0;
      this.#size = Math.max(MIN_READ_BYTES, this.#size / 4);
      this.#spares = [];
    } else {
      this.#smallReads = 0;
    }
  }

  #giveBack(buffer: Buffer): void {
    if (buffer === this.#current) this.#lent = false;
    else if (buffer.length === this.#size && this.#spares.length < SPARES)
      this.#spares.push(buffer);
  }

  /** The buffer of the next read: the current one unless it is lent or of the old size. */
  #next(): Buffer {
    const current = this.#current;
    if (current !== undefined && !this.#lent && current.length === this.#size) return current;
    let spare = this.#spares.pop();
    while (spare !== undefined && spare.length !== this.#size) spare = this.#spares.pop();
    const next = spare ?? Buffer.allocUnsafeSlow(this.#size);
    this.#current = next;
    this.#lent = false;
    return next;
  }
}

function noop(): void {}

const readsOf = new WeakMap<Socket, PooledReads>();

/** The pooled reads of `socket`, or undefined when it reads the default way. */
export function pooledReadsOf(socket: Socket): PooledReads | undefined {
  return readsOf.get(socket);
}

/** A socket that reads into pooled buffers, for net.connect's `onread` (call attach after). */
export function pooledReadOptions(): { reads: PooledReads; onread: OnRead } {
  const reads = new PooledReads();
  return { reads, onread: reads.onread };
}

/** Registers `socket` as reading through `reads` (after net.connect with pooledReadOptions). */
export function attachPooledReads(socket: Socket, reads: PooledReads): Socket {
  reads.attach(socket);
  readsOf.set(socket, reads);
  return socket;
}

/** The libuv stream handle of a net.Socket: Node's own, not a public API. */
interface StreamHandle {
  readStart(): number;
  readStop(): number;
  useUserBuffer(buffer: Uint8Array): void;
}

function isStreamHandle(value: unknown): value is StreamHandle {
  if (typeof value !== 'object' || value === null) return false;
  const handle = value as Partial<Record<keyof StreamHandle, unknown>>;
  return (
    typeof handle.readStart === 'function' &&
    typeof handle.readStop === 'function' &&
    typeof handle.useUserBuffer === 'function'
  );
}

/**
 * The same connection as `accepted` (a paused socket from a net.Server), reading into pooled
 * buffers. A server cannot give its sockets `onread`, so the accepted handle moves to a new Socket
 * that has it (as Node's own child_process does with handles it receives), and `accepted` is
 * destroyed without its handle (only the server's connection count and 'close'). The new socket is
 * paused. Where Node's socket internals are not as expected, `accepted` itself is returned.
 */
export function adoptAccepted(accepted: Socket): Socket {
  const internal = accepted as unknown as { _handle: unknown };
  const handle = internal._handle;
  if (!isStreamHandle(handle) || accepted.destroyed) return accepted;
  const reads = new PooledReads();
  const options = {
    handle,
    allowHalfOpen: accepted.allowHalfOpen,
    readable: true,
    writable: true,
    pauseOnCreate: true,
    onread: reads.onread,
  } as SocketConstructorOpts;
  let adopted: Socket;
  internal._handle = null;
  try {
    adopted = new Socket(options);
  } catch {
    internal._handle = handle;
    return accepted;
  }
  accepted.destroy();
  adopted.pause();
  return attachPooledReads(adopted, reads);
}
