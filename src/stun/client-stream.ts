// STUN transactions over TCP/TLS (RFC 8489 §6.2.2-6.2.3) and first-answer-wins over several servers.

import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import { PbxgateError } from '../errors.ts';
import { decodeStunMessage } from './message.ts';
import { frameStunMessage } from './framing.ts';
import { transportAddressOf } from './attributes/address.ts';
import { DEFAULT_STREAM_TIMEOUT_MS, type StunRequest, type StunResponse } from './client.ts';

export interface StreamTarget {
  readonly address: string;
  readonly port: number;
  /** TLS options (servername, ca, rejectUnauthorized); absent = plain TCP. */
  readonly tls?: ConnectionOptions;
}

/** Connects, sends one request, reads one answer, closes. Rejects on timeout, close or garbage. */
export function transactStream(
  request: StunRequest,
  target: StreamTarget,
  timeoutMs = DEFAULT_STREAM_TIMEOUT_MS,
  signal?: AbortSignal,
): Promise<StunResponse> {
  const started = performance.now();
  const where = `${target.tls ? 'tls' : 'tcp'}://${target.address}:${target.port}`;
  return new Promise((resolve, reject) => {
    const socket: Socket = target.tls
      ? connectTls({ ...target.tls, host: target.address, port: target.port })
      : connectTcp({ host: target.address, port: target.port });
    let buffered = Buffer.alloc(0);
    let done = false;
    const fail = (message: string, cause?: unknown): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(new PbxgateError('PBX_ERR_STUN_TIMEOUT', `stun over ${where}: ${message}`, { cause }));
    };
    const onAbort = (): void => {
      fail('aborted');
    };
    const timer = setTimeout(() => {
      fail(`no answer within ${timeoutMs} ms`);
    }, timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once(target.tls ? 'secureConnect' : 'connect', () => socket.write(request.bytes));
    socket.on('error', (err) => {
      fail(err.message, err);
    });
    socket.on('close', () => {
      fail('connection closed before an answer');
    });
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const frame = frameStunMessage(buffered);
      if (frame.kind === 'incomplete') return;
      const decoded =
        frame.kind === 'ok' ? decodeStunMessage(buffered.subarray(0, frame.size)) : frame;
      if (
        decoded.kind !== 'ok' ||
        !Buffer.from(decoded.value.transactionId).equals(request.transactionId)
      ) {
        fail('answer is not a STUN response to our request');
        return;
      }
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      const from = transportAddressOf(
        socket.remoteAddress ?? target.address,
        socket.remotePort ?? target.port,
      );
      socket.end();
      resolve({ message: decoded.value, from, rttMs: performance.now() - started });
    });
  });
}

/**
 * Runs `attempt` against every target in parallel and resolves with the first success; the others are
 * aborted. Rejects with an AggregateError only when all fail.
 */
export async function firstAnswer<T, R>(
  targets: readonly T[],
  attempt: (target: T, signal: AbortSignal) => Promise<R>,
): Promise<{ readonly target: T; readonly result: R }> {
  const controller = new AbortController();
  try {
    return await Promise.any(
      targets.map(async (target) => ({ target, result: await attempt(target, controller.signal) })),
    );
  } finally {
    controller.abort();
  }
}
