// Reads a connection's first message: buffers what arrives and asks `sniff` whether it is complete,
// within a deadline and a byte limit. The caller routes; the bytes stay with it for the backend.
import type { Readable } from 'node:stream';

export type FirstMessage<R> =
  /** `sniff` decided; `bytes` is everything read (later traffic may follow the message in it). */
  | {
      readonly kind: 'decided';
      readonly result: R;
      readonly bytes: Buffer;
      readonly ended: boolean;
    }
  /** The limit was reached and the sniffer still wanted more. */
  | { readonly kind: 'too-large'; readonly bytes: Buffer }
  | { readonly kind: 'timeout'; readonly bytes: Buffer }
  /** The client closed (or the connection failed) before a decision. */
  | { readonly kind: 'closed'; readonly bytes: Buffer }
  /** `sniff` threw: a bug, reported to the caller instead of escaping from an event handler. */
  | { readonly kind: 'failed'; readonly error: unknown; readonly bytes: Buffer };

export interface FirstMessageOptions<R> {
  readonly maxBytes: number;
  /** Aborts at the connection's deadline. */
  readonly signal: AbortSignal;
  /** The decision on the bytes so far, or undefined to wait for more. */
  readonly sniff: (bytes: Buffer) => R | undefined;
}

const INITIAL_BYTES = 4096;
// Sniffers are stateless and scan what they are given, so sniffing after every tiny segment would
// cost O(n²) for a client that trickles its first message. Sniffing at once only after the buffer
// grew by 1/8 bounds the work to ~10 scans of the final size; smaller growth is sniffed after
// a short pause, so a message whose last piece is small is still routed promptly.
const GROWTH_SHIFT = 3;
const RESNIFF_DELAY_MS = 5;

export function readFirstMessage<R>(
  socket: Readable,
  options: FirstMessageOptions<R>,
): Promise<FirstMessage<R>> {
  const { maxBytes, signal, sniff } = options;
  return new Promise((resolve) => {
    let buffer = Buffer.allocUnsafe(0);
    let length = 0;
    let sniffedLength = 0;
    let ended = false;
    let settled = false;
    let resniff: NodeJS.Timeout | undefined;
    const bytes = (): Buffer => buffer.subarray(0, length);

    const settle = (outcome: FirstMessage<R>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(resniff);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
      socket.pause(); // later bytes wait in the socket for the relay
      resolve(outcome);
    };
    /** True when settled. */
    const trySniff = (): boolean => {
      clearTimeout(resniff);
      resniff = undefined;
      sniffedLength = length;
      let result: R | undefined;
      try {
        result = sniff(bytes());
      } catch (error) {
        settle({ kind: 'failed', error, bytes: bytes() });
        return true;
      }
      if (result !== undefined) settle({ kind: 'decided', result, bytes: bytes(), ended });
      else if (length >= maxBytes) settle({ kind: 'too-large', bytes: bytes() });
      return settled;
    };
    const onData = (chunk: Buffer): void => {
      if (length + chunk.length > buffer.length) {
        // Doubling keeps the copying linear in the bytes read.
        const grown = Buffer.allocUnsafe(
          Math.max(buffer.length * 2, length + chunk.length, INITIAL_BYTES),
        );
        buffer.copy(grown, 0, 0, length);
        buffer = grown;
      }
      chunk.copy(buffer, length);
      length += chunk.length;
      const growth = length - sniffedLength;
      if (growth > sniffedLength >> GROWTH_SHIFT || length >= maxBytes) trySniff();
      else resniff ??= setTimeout(trySniff, RESNIFF_DELAY_MS);
    };
    const onEnd = (): void => {
      ended = true;
      if (length > sniffedLength && trySniff()) return;
      settle({ kind: 'closed', bytes: bytes() });
    };
    const onClose = (): void => {
      settle({ kind: 'closed', bytes: bytes() });
    };
    const onAbort = (): void => {
      if (length > sniffedLength && trySniff()) return;
      settle({ kind: 'timeout', bytes: bytes() });
    };

    if (signal.aborted) {
      settle({ kind: 'timeout', bytes: bytes() });
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onClose);
    socket.resume();
  });
}
