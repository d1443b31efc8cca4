// How much of each relayed chunk belongs to the body in flight, by its framing (RFC 9112 §6.3):
// a Content-Length count, the chunked framer, or everything until the sender closes. One meter per
// direction of a connection, reused body after body; no allocation per chunk.

import type { ChunkedFramer } from './chunked.ts';
import type { BodyFraming } from './framing.ts';
import type { ChunkedProblem } from './problem.ts';

export class BodyMeter {
  private kind: BodyFraming['kind'] = 'none';
  private remaining = 0;
  private done = true;

  /** Made on the first chunked body: most connections never see one. */
  private framer: ChunkedFramer | undefined = undefined;
  private readonly makeFramer: () => ChunkedFramer;

  constructor(makeFramer: () => ChunkedFramer) {
    this.makeFramer = makeFramer;
  }

  /** Starts the next body; false when it is empty (nothing to relay, already done). */
  start(framing: BodyFraming): boolean {
    this.kind = framing.kind;
    this.remaining = framing.kind === 'length' ? framing.length : 0;
    if (framing.kind === 'chunked') {
      this.framer ??= this.makeFramer();
      this.framer.reset();
    }
    this.done = framing.kind === 'none' || (framing.kind === 'length' && framing.length === 0);
    return !this.done;
  }

  /**
   * How many bytes of chunk[from..] belong to the body (fewer than offered once it ends: the rest is
   * the next message), or -1 when a chunked body is malformed (see `problem`).
   */
  take(chunk: Uint8Array, from: number): number {
    const offered = chunk.length - from;
    switch (this.kind) {
      case 'length': {
        const taken = Math.min(this.remaining, offered);
        this.remaining -= taken;
        this.done = this.remaining === 0;
        return taken;
      }
      case 'chunked': {
        const framer = (this.framer ??= this.makeFramer());
        const taken = framer.feed(chunk, from);
        this.done = framer.isDone;
        return taken;
      }
      case 'close':
        return offered;
      case 'none':
        return 0;
    }
  }

  /** The body has ended by its framing (a 'close' body ends only with its sender). */
  get isDone(): boolean {
    return this.done;
  }

  /** The body runs until its sender closes the connection. */
  get isUntilClose(): boolean {
    return this.kind === 'close';
  }

  get problem(): ChunkedProblem {
    return this.framer?.problem ?? 'http.bad-chunk-size';
  }
}
