// After a 101 to a WebSocket upgrade: what the backend sent past its head goes to the client first,
// what the client sent past its request goes to the backend first, then a plain relay both ways.

import type { Socket } from 'node:net';
import type { ListenerMetrics } from '../metrics.ts';
import { relay } from '../relay.ts';

export interface TunnelStart {
  readonly client: Socket;
  readonly backend: Socket;
  /** From the backend, after its 101 head. */
  readonly early: Buffer | undefined;
  /** From the client, after its upgrade request. */
  readonly initial: Buffer | undefined;
  readonly clientEnded: boolean;
  readonly backendEnded: boolean;
  readonly idleTimeoutMs: number;
  readonly metrics: ListenerMetrics;
}

/** Resolves when both sides are closed. */
export async function tunnel(start: TunnelStart): Promise<void> {
  const { client, backend, metrics } = start;
  if (start.early !== undefined) {
    metrics.backendToClient.inc(start.early.length);
    client.write(start.early);
  }
  if (start.backendEnded) client.end();
  metrics.relaying.inc();
  try {
    const relayed = relay(client, backend, {
      initial: start.initial ?? Buffer.alloc(0),
      clientEnded: start.clientEnded,
      idleTimeoutMs: start.idleTimeoutMs,
      watcher: undefined,
      countClientBytes: (n) => {
        metrics.clientToBackend.inc(n);
      },
      countBackendBytes: (n) => {
        metrics.backendToClient.inc(n);
      },
    });
    // The relay listens for data but only resumes the client; the backend may be paused.
    backend.resume();
    await relayed;
  } finally {
    metrics.relaying.dec();
  }
}
