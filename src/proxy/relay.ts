// Relays a routed connection both ways with backpressure and half-close, through the protocol's
// watcher when it has one, until both sides are closed or the connection has been idle too long.
import type { Socket } from 'node:net';
import { pooledReadsOf } from '../net/pooled-reads.ts';
import type { RefusalCause, WatchVerdict, Watcher } from './protocol.ts';

export type RelayEnd =
  | { readonly kind: 'closed' }
  | { readonly kind: 'idle-timeout' }
  | {
      readonly kind: 'refused';
      readonly cause: RefusalCause;
      readonly reason: string;
      /** The watcher's answer for the client (WatchVerdict). */
      readonly answer: Uint8Array | undefined;
    }
  /** The client was blacklisted while relaying (its own traffic, or elsewhere): both sides cut. */
  | { readonly kind: 'blocked' }
  /** The watcher threw (a bug): both sides were destroyed. */
  | { readonly kind: 'failed'; readonly error: unknown };

export interface RelayOptions {
  /** Already read from the client (the first message and what followed it); sent first. */
  readonly initial: Buffer;
  /** The client's FIN was read together with `initial`. */
  readonly clientEnded: boolean;
  readonly idleTimeoutMs: number;
  readonly watcher: Watcher | undefined;
  /** Asked before each client chunk goes on: true cuts the connection (nothing more is forwarded). */
  readonly isBlocked?: (() => boolean) | undefined;
  readonly countClientBytes: (bytes: number) => void;
  readonly countBackendBytes: (bytes: number) => void;
}

export interface RelayResult {
  readonly end: RelayEnd;
  /** Bytes forwarded from the client to the backend, `initial` included. */
  readonly bytesIn: number;
  /** Bytes forwarded from the backend to the client. */
  readonly bytesOut: number;
}

type Release = () => void;
const kept: Release = () => undefined;

/**
 * Delivers what `socket` reads to `onChunk`: straight from its pooled read buffers when it has them
 * (each released once written), else from 'data' events. Returns how to stop and read the usual
 * way again (a refused client is answered that way).
 */
function readChunks(
  socket: Socket,
  onChunk: (chunk: Buffer, release: Release) => void,
): () => void {
  const reads = pooledReadsOf(socket);
  if (reads !== undefined) {
    reads.direct(onChunk);
    return () => {
      reads.streamed();
    };
  }
  const onData = (chunk: Buffer): void => {
    onChunk(chunk, kept);
  };
  socket.on('data', onData);
  return () => {
    socket.off('data', onData);
  };
}

/**
 * Resolves when both sockets are closed. A watcher refusal leaves the client open and paused for the
 * caller's answer (the backend is destroyed at once); every other end closes both. Each chunk goes
 * through the watcher before it is forwarded; a watcher that throws ends the relay as 'failed'.
 */
export function relay(
  client: Socket,
  backend: Socket,
  options: RelayOptions,
): Promise<RelayResult> {
  const { watcher } = options;
  let bytesIn = 0;
  let bytesOut = 0;
  let end: RelayEnd = { kind: 'closed' };
  return new Promise((resolve) => {
    let clientDone = false;
    let backendDone = false;
    const settleIfDone = (): void => {
      if (clientDone && backendDone) resolve({ end, bytesIn, bytesOut });
    };
    const fail = (error: unknown): void => {
      end = { kind: 'failed', error };
      client.destroy();
      backend.destroy();
    };
    let stopClientReads: () => void = () => undefined;
    const isRefused = (): boolean => end.kind === 'refused';
    const refuse = (verdict: Exclude<WatchVerdict, 'pass'>): void => {
      end = {
        kind: 'refused',
        cause: verdict.refuse,
        reason: verdict.reason,
        answer: verdict.answer,
      };
      // The client is the caller's now, paused and without our listeners, for the refusal.
      client.pause();
      stopClientReads();
      client.off('end', onClientEnd);
      client.off('close', onClientClose);
      client.setTimeout(0);
      clientDone = true;
      backend.destroy();
      if (backend.closed) onBackendClose();
    };
    /** False when the chunk was refused or the watcher failed; `release` once it is written. */
    const toBackend = (chunk: Buffer, release: Release): boolean => {
      if (options.isBlocked?.() === true) {
        end = { kind: 'blocked' };
        client.destroy();
        backend.destroy();
        return false;
      }
      let verdict: WatchVerdict;
      try {
        verdict = watcher?.fromClient(chunk) ?? 'pass';
      } catch (error) {
        fail(error);
        return false;
      }
      if (verdict !== 'pass') {
        refuse(verdict);
        return false;
      }
      bytesIn += chunk.length;
      options.countClientBytes(chunk.length);
      if (!backend.write(chunk, release)) client.pause();
      return true;
    };
    const onClientChunk = (chunk: Buffer, release: Release): void => {
      toBackend(chunk, release);
    };
    const onBackendChunk = (chunk: Buffer, release: Release): void => {
      try {
        watcher?.fromServer(chunk);
      } catch (error) {
        fail(error);
        return;
      }
      bytesOut += chunk.length;
      options.countBackendBytes(chunk.length);
      if (!client.write(chunk, release)) backend.pause();
    };
    const onClientEnd = (): void => {
      backend.end();
    };
    const onBackendClose = (): void => {
      if (backendDone) return;
      backendDone = true;
      if (end.kind !== 'refused') closeAfterFlush(client);
      settleIfDone();
    };
    const onClientClose = (): void => {
      if (clientDone) return;
      clientDone = true;
      closeAfterFlush(backend);
      settleIfDone();
    };

    backend.on('drain', () => client.resume());
    backend.once('end', () => client.end());
    backend.once('close', onBackendClose);
    client.on('drain', () => backend.resume());
    client.setTimeout(options.idleTimeoutMs, () => {
      // The client socket sees traffic both ways: reads from it and writes of backend bytes to it.
      end = { kind: 'idle-timeout' };
      client.destroy();
      backend.destroy();
    });
    client.once('end', onClientEnd);
    client.once('close', onClientClose);

    // A side that closed before the relay began has no 'close' event left to give.
    if (backend.closed) onBackendClose();
    if (options.initial.length > 0 && !toBackend(options.initial, kept)) return;
    readChunks(backend, onBackendChunk);
    backend.resume();
    // What the client sent after its first message may already wait in the socket.
    stopClientReads = readChunks(client, onClientChunk);
    if (isRefused()) {
      stopClientReads(); // refused on those bytes
      return;
    }
    // A FIN read while nobody listened ('end' is emitted even on a paused socket once it is empty).
    if (options.clientEnded || client.readableEnded) backend.end();
    if (backend.readableEnded) client.end();
    if (client.closed) onClientClose();
    else client.resume();
  });
}

/**
 * The other side closed. Whatever we still owe this socket is flushed first when its end was
 * already queued (a clean half-close chain); otherwise it is destroyed at once.
 */
function closeAfterFlush(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.writableFinished) socket.destroy();
  else if (socket.writableEnded) socket.once('finish', () => socket.destroy());
  else socket.destroy();
}
