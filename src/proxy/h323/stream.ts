// Incremental TPKT framing (RFC 1006 §6) of a relayed stream, for the watcher: chunks may split a
// frame anywhere or carry several. Only the frame in progress is buffered, and at most its length,
// which the cap bounds; a frame over the cap is refused or skipped by count, never buffered.

import { TPKT_HEADER } from './tpkt.ts';

export type SplitResult =
  /** Every byte so far was framed (a frame may be in progress). */
  | 'ok'
  /** The stream is not TPKT: a wrong version or reserved octet, or a length below the header. */
  | 'not-tpkt'
  /** A frame over the cap, with `oversize: 'refuse'`. */
  | 'too-large'
  /** A frame callback returned false. */
  | 'stopped';

export interface TpktSplitter {
  /**
   * Frames `chunk`, calling `onFrame` with each complete frame's payload (a keep-alive's is empty;
   * a view, valid during the call). Once not 'ok', the splitter stays so and reads nothing more.
   */
  push(chunk: Uint8Array, onFrame: (payload: Uint8Array) => boolean): SplitResult;
}

interface State {
  result: SplitResult;
  /** Header octets of the frame in progress (fewer than 4). */
  header: number[];
  /** The payload in progress, allocated at its full length once the header is known. */
  frame: Uint8Array | undefined;
  filled: number;
  /** Octets of an oversized frame still to pass unread. */
  skip: number;
}

export function createTpktSplitter(maxBytes: number, oversize: 'refuse' | 'skip'): TpktSplitter {
  const state: State = { result: 'ok', header: [], frame: undefined, filled: 0, skip: 0 };

  /** Takes header octets from `data`; returns how many it took. */
  const readHeader = (data: Uint8Array, onFrame: (payload: Uint8Array) => boolean): number => {
    const take = Math.min(TPKT_HEADER - state.header.length, data.length);
    state.header.push(...data.subarray(0, take));
    const [version, reserved, high, low] = state.header;
    if ((version !== undefined && version !== 3) || (reserved !== undefined && reserved !== 0)) {
      state.result = 'not-tpkt';
    } else if (high !== undefined && low !== undefined) {
      state.header = [];
      startFrame(high * 256 + low, onFrame);
    }
    return take;
  };

  const startFrame = (length: number, onFrame: (payload: Uint8Array) => boolean): void => {
    if (length < TPKT_HEADER) state.result = 'not-tpkt';
    else if (length > maxBytes) {
      if (oversize === 'refuse') state.result = 'too-large';
      else state.skip = length - TPKT_HEADER;
    } else if (length === TPKT_HEADER) deliver(new Uint8Array(0), onFrame);
    else {
      state.frame = new Uint8Array(length - TPKT_HEADER);
      state.filled = 0;
    }
  };

  const deliver = (payload: Uint8Array, onFrame: (payload: Uint8Array) => boolean): void => {
    state.frame = undefined;
    if (!onFrame(payload)) state.result = 'stopped';
  };

  /** Fills the frame in progress from `data`; returns how many octets it took. */
  const readBody = (
    frame: Uint8Array,
    data: Uint8Array,
    onFrame: (payload: Uint8Array) => boolean,
  ): number => {
    const take = Math.min(frame.length - state.filled, data.length);
    frame.set(data.subarray(0, take), state.filled);
    state.filled += take;
    if (state.filled === frame.length) deliver(frame, onFrame);
    return take;
  };

  return {
    push(chunk, onFrame) {
      let data = chunk;
      while (data.length > 0 && state.result === 'ok') {
        let taken: number;
        if (state.skip > 0) {
          taken = Math.min(state.skip, data.length);
          state.skip -= taken;
        } else if (state.frame !== undefined) taken = readBody(state.frame, data, onFrame);
        else taken = readHeader(data, onFrame);
        data = data.subarray(taken);
      }
      return state.result;
    },
  };
}
