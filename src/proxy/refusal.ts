// Ending a client connection the clean way: a refusal in its protocol (when there is one), FIN, and
// a bounded linger; every refusal is also a suspicious event and a counted cause.
import type { Socket } from 'node:net';
import type { Suspicious } from '../fraud/suspicious.ts';
import type { ConnectionOutcome, ListenerMetrics } from './metrics.ts';
import type { ProxyProtocol, RefusalCause } from './protocol.ts';

/** After our FIN, how long a client may take to close its side before the socket is destroyed. */
export const LINGER_MS = 2000;

export interface RefusalDeps {
  readonly protocol: ProxyProtocol;
  readonly suspicious: Suspicious;
  readonly metrics: ListenerMetrics;
}

export interface Refusal {
  readonly outcome: ConnectionOutcome;
  readonly reason: string;
}

/**
 * Reports `reason` for the client, answers and ends. The answer is `protocol.refuse(message,
 * cause)` for a refused first message (`message` undefined when nothing usable was read), or the
 * `answer` a watcher built for a later one.
 */
export function refuse(
  client: Socket,
  remoteIp: string,
  deps: RefusalDeps,
  refusal: { readonly cause: RefusalCause; readonly reason: string } & (
    { readonly message: Buffer | undefined } | { readonly answer: Uint8Array | undefined }
  ),
): Refusal {
  const { cause, reason } = refusal;
  deps.suspicious(remoteIp, reason);
  deps.metrics.refusal(cause);
  if ('answer' in refusal) {
    endWith(client, refusal.answer);
  } else {
    const { message } = refusal;
    endWith(
      client,
      deps.protocol.refuse(
        message !== undefined && message.length > 0 ? message : undefined,
        cause,
      ),
    );
  }
  return { outcome: `refused-${cause}`, reason };
}

/** Sends `bytes` (if any) and ends; input is read and dropped meanwhile; destroyed after LINGER_MS. */
export function endWith(socket: Socket, bytes: Uint8Array | undefined): void {
  if (socket.destroyed) return;
  socket.removeAllListeners('data');
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => {
    clearTimeout(timer);
  });
  if (bytes !== undefined && bytes.length > 0) socket.end(bytes);
  else socket.end();
  socket.resume(); // so that the client's FIN is read
}
