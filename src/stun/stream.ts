// STUN over TCP and TLS (RFC 8489 §6.2.2-6.2.3): frame by the header length, answer each request in order.

import type { Socket } from 'node:net';
import { transportAddressOf } from './attributes/address.ts';
import { answerStun } from './answer.ts';
import type { BindingContext, StunTransport } from './binding.ts';
import { frameStunMessage } from './framing.ts';
import type { StunObserver } from './observer.ts';

export interface StreamOptions {
  readonly transport: Exclude<StunTransport, 'udp'>;
  readonly software: Uint8Array | undefined;
  readonly observer: StunObserver;
  /** A STUN message larger than this is refused (a Binding request is tens of bytes). */
  readonly maxMessageBytes: number;
  /** RFC 8489 §6.2.2 leaves idle connections to the server; we close after this. */
  readonly idleTimeoutMs: number;
}

/** Serves one accepted connection until the client closes, idles out or sends something malformed. */
export function serveStunStream(socket: Socket, options: StreamOptions): void {
  const { observer } = options;
  const remoteIp = socket.remoteAddress ?? '';
  const context: BindingContext = {
    transport: options.transport,
    source: transportAddressOf(remoteIp, socket.remotePort ?? 0),
    local:
      socket.localAddress === undefined
        ? undefined
        : transportAddressOf(socket.localAddress, socket.localPort ?? 0),
    alternate: undefined,
    software: options.software,
  };
  let pending: Buffer | undefined;
  socket.setNoDelay(true);
  socket.setTimeout(options.idleTimeoutMs, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    try {
      let bytes = pending ? Buffer.concat([pending, chunk]) : chunk;
      pending = undefined;
      for (;;) {
        const frame = frameStunMessage(bytes);
        if (frame.kind === 'incomplete') {
          if (bytes.length + frame.needed > options.maxMessageBytes) {
            refuse('stun.too-large');
            return;
          }
          if (bytes.length > 0) pending = Buffer.from(bytes); // copy: the chunk is not ours to keep
          return;
        }
        if (frame.kind === 'malformed') {
          refuse(frame.reason);
          return;
        }
        const answer = answerStun(bytes.subarray(0, frame.size), context);
        if (answer.kind === 'drop') {
          if (answer.reason !== 'stun.not-a-request') {
            refuse(answer.reason);
            return;
          }
          observer.dropped(answer.reason, remoteIp, true);
        } else {
          socket.write(answer.bytes);
          observer.answered(answer);
        }
        bytes = bytes.subarray(frame.size);
      }
    } catch (err) {
      observer.threw(err, remoteIp);
      socket.destroy();
    }
  });

  /** Garbage on a stream: there is no STUN answer for it, so count it and close. */
  function refuse(reason: Parameters<StunObserver['dropped']>[0]): void {
    observer.dropped(reason, remoteIp, true);
    socket.destroy();
  }
}
