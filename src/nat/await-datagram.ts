// Waiting on one socket for a STUN message that another send provoked (hairpinning, RESPONSE-PORT).

import type { Socket } from 'node:dgram';
import type { RetransmitOptions } from '../stun/client.ts';
import { StunClass } from '../stun/constants.ts';
import { decodeStunMessage } from '../stun/message.ts';

export interface AwaitedMessage {
  /** The STUN class the awaited message has (a request for hairpinning, a response otherwise). */
  readonly stunClass: StunClass;
  readonly transactionId: Buffer;
}

/**
 * Calls `sendCopy` on the RFC 8489 §6.2.1 schedule of `retransmit` until `socket` receives a
 * STUN message of the awaited class and transaction id: true then, false when the schedule ends
 * or `signal` aborts. The socket's other listeners keep receiving everything.
 */
export function awaitStunMessage(
  socket: Socket,
  awaited: AwaitedMessage,
  sendCopy: () => void,
  retransmit: RetransmitOptions,
  signal?: AbortSignal,
): Promise<boolean> {
  return new Promise((resolve) => {
    let sends = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (received: boolean): void => {
      clearTimeout(timer);
      socket.off('message', onMessage);
      signal?.removeEventListener('abort', onAbort);
      resolve(received);
    };
    const onAbort = (): void => {
      finish(false);
    };
    const onMessage = (datagram: Buffer): void => {
      const decoded = decodeStunMessage(datagram);
      if (decoded.kind !== 'ok' || decoded.value.class !== awaited.stunClass) return;
      if (Buffer.from(decoded.value.transactionId).equals(awaited.transactionId)) finish(true);
    };
    const send = (): void => {
      sends++;
      try {
        sendCopy();
      } catch {
        // the socket was closed under us: the wait ends on its schedule
      }
      const last = sends >= retransmit.maxSends;
      const wait = last
        ? retransmit.rtoMs * retransmit.finalWaitFactor
        : retransmit.rtoMs * 2 ** (sends - 1);
      timer = setTimeout(last ? onAbort : send, wait);
    };
    if (signal?.aborted === true) {
      resolve(false);
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('message', onMessage);
    send();
  });
}
