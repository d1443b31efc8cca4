// Relayed datagrams leave in one burst per event-loop turn, not one by one as they are handled.
//
// A send to a sleeping process wakes it. Sent one by one between the gateway's reads, each
// datagram may find its receiver asleep again; sent back to back after all the reads of the turn,
// the later ones can find it still awake. On the TURN bench, with the gateway and the load on separate
// CPUs, this took the echo-peer scenario from about 69 to 57 µs of gateway CPU per message (median
// of four runs each; docs/BENCHMARKS.md). The delay is the rest of the current turn, microseconds
// when the gateway keeps up. Order is kept per socket.

import type { Socket } from 'node:dgram';

/** Datagrams queued in one turn past this are sent at once: the queue's memory stays bounded. */
export const MAX_QUEUED = 1024;

export interface UdpBatch {
  /** Sends `bytes` to `address`:`port` from `socket` at the end of this event-loop turn. */
  send(socket: Socket, bytes: Uint8Array, port: number, address: string): void;
  /** Sends what is queued now (for tests and shutdown). */
  flush(): void;
}

export function createUdpBatch(maxQueued = MAX_QUEUED): UdpBatch {
  // Parallel arrays, reused turn after turn: no object per datagram.
  const sockets: (Socket | undefined)[] = [];
  const payloads: Uint8Array[] = [];
  const ports: number[] = [];
  const addresses: string[] = [];
  let queued = 0;
  let scheduled: NodeJS.Immediate | undefined;

  const flush = (): void => {
    if (scheduled !== undefined) {
      clearImmediate(scheduled);
      scheduled = undefined;
    }
    const count = queued;
    queued = 0;
    for (let i = 0; i < count; i++) {
      const socket = sockets[i];
      const bytes = payloads[i];
      if (socket !== undefined && bytes !== undefined) {
        try {
          socket.send(bytes, ports[i], addresses[i]);
        } catch {
          // The socket closed while its datagram waited (its allocation ended): nothing to send.
        }
      }
      // Neither the payload nor a closed socket is held past its turn.
      sockets[i] = undefined;
      payloads[i] = EMPTY;
    }
  };

  return {
    send(socket, bytes, port, address) {
      const i = queued++;
      sockets[i] = socket;
      payloads[i] = bytes;
      ports[i] = port;
      addresses[i] = address;
      if (queued >= maxQueued) flush();
      else scheduled ??= setImmediate(flush);
    },
    flush,
  };
}

const EMPTY = new Uint8Array(0);
