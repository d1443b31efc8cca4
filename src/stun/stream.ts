// STUN over TCP and TLS (RFC 8489 §6.2.2-6.2.3): frame by the header length, answer each request in order.

import type { Socket } from 'node:net';
import { transportAddressOf } from './attributes/address.ts';
import { answerStun } from './answer.ts';
import type { BindingContext, StunTransport } from './binding.ts';
import { frameStunMessage } from './framing.ts';
import { frameTurnStream } from '../turn/stream-framing.ts';
import type { TurnLink, TurnService } from '../turn/service.ts';
import type { StunObserver } from './observer.ts';

export interface StreamOptions {
  readonly transport: Exclude<StunTransport, 'udp'>;
  readonly software: Uint8Array | undefined;
  readonly observer: StunObserver;
  /** A STUN message larger than this is refused (a Binding request is tens of bytes). */
  readonly maxMessageBytes: number;
  /** RFC 8489 §6.2.2 leaves idle connections to the server; we close after this. */
  readonly idleTimeoutMs: number;
  /** TURN on the same connections: ChannelData and every method but Binding go there. */
  readonly turn?: TurnService | undefined;
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
  /** What the data handler has not framed yet (an RFC 6062 takeover gets it). */
  let unread: Buffer = Buffer.alloc(0);
  let isTaken = false;
  const { turn } = options;
  let isCorked = false;
  const uncork = (): void => {
    isCorked = false;
    socket.uncork();
  };
  const link: TurnLink | undefined =
    turn === undefined
      ? undefined
      : {
          transport: options.transport,
          client: context.source,
          server: context.local ?? transportAddressOf('0.0.0.0', 0),
          // Relayed data comes a datagram at a time: the writes of one loop turn go out in one
          // system call (cork until the turn ends) instead of one each. Plain TCP only: corked
          // TLS writes cost coturn's uclient messages (test/interop/turn-uclient.test.ts).
          send: (bytes) => {
            if (!isCorked && options.transport === 'tcp') {
              isCorked = true;
              socket.cork();
              setImmediate(uncork);
            }
            socket.write(bytes);
          },
          takeOver: () => {
            isTaken = true;
            socket.pause();
            socket.off('data', onData);
            socket.off('close', onClose);
            socket.setTimeout(0);
            return { socket, rest: unread };
          },
        };
  const onClose = (): void => {
    if (turn !== undefined && link !== undefined) turn.closed(link);
  };
  socket.once('close', onClose);
  const frame = turn === undefined ? frameStunMessage : frameTurnStream;
  socket.setNoDelay(true);
  // Idle connections are closed, unless they carry a TURN allocation (its lifetime bounds them).
  const onIdle = (): void => {
    if (turn !== undefined && link !== undefined && turn.holds(link)) {
      socket.setTimeout(options.idleTimeoutMs, onIdle);
      return;
    }
    socket.destroy();
  };
  socket.setTimeout(options.idleTimeoutMs, onIdle);
  socket.on('error', () => socket.destroy());
  const onData = (chunk: Buffer): void => {
    try {
      let bytes = pending ? Buffer.concat([pending, chunk]) : chunk;
      pending = undefined;
      for (;;) {
        const framed = frame(bytes);
        if (framed.kind === 'incomplete') {
          if (bytes.length + framed.needed > options.maxMessageBytes) {
            refuse('stun.too-large');
            return;
          }
          if (bytes.length > 0) pending = Buffer.from(bytes); // copy: the chunk is not ours to keep
          return;
        }
        if (framed.kind === 'malformed') {
          const { reason } = framed;
          refuse(
            reason === 'turn.channel-number' || reason === 'turn.not-turn'
              ? 'stun.not-stun'
              : reason,
          );
          return;
        }
        const message = bytes.subarray(0, framed.size);
        bytes = bytes.subarray(framed.size);
        unread = bytes;
        if (turn !== undefined && link !== undefined && turn.handle(message, link)) {
          if (isTaken) return; // the connection is an RFC 6062 data connection now
          continue;
        }
        const answer = answerStun(message, context);
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
      }
    } catch (err) {
      observer.threw(err, remoteIp);
      socket.destroy();
    }
  };
  socket.on('data', onData);

  /** Garbage on a stream: there is no STUN answer for it, so count it and close. */
  function refuse(reason: Parameters<StunObserver['dropped']>[0]): void {
    observer.dropped(reason, remoteIp, true);
    socket.destroy();
  }
}
