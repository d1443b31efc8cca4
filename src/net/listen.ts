// Opening and closing sockets as promises, with one clear error naming what could not be opened.

import type { Socket as UdpSocket } from 'node:dgram';
import type { Server } from 'node:net';
import { PbxgateError } from '../errors.ts';

export function describeListenError(what: string, err: unknown): PbxgateError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const why =
    code === 'EADDRINUSE'
      ? 'address already in use'
      : code === 'EACCES'
        ? 'permission denied (ports below 1024 need root)'
        : code === 'EADDRNOTAVAIL'
          ? 'address not available on this host'
          : err instanceof Error
            ? err.message
            : String(err);
  return new PbxgateError('PBX_ERR_LISTEN', `cannot listen on ${what}: ${why}`, { cause: err });
}

export function bindUdp(
  socket: UdpSocket,
  host: string,
  port: number,
  what: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      reject(describeListenError(what, err));
    };
    socket.once('error', onError);
    socket.bind({ address: host, port, exclusive: true }, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}

export function listenTcp(server: Server, host: string, port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      reject(describeListenError(what, err));
    };
    server.once('error', onError);
    server.listen(
      // Not exclusive: the workers of `start --workers N` share one listening socket.
      { host, port, exclusive: false, ipv6Only: host === '::' ? false : undefined },
      () => {
        server.off('error', onError);
        resolve();
      },
    );
  });
}

export function closeUdp(socket: UdpSocket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => {
        resolve();
      });
    } catch {
      resolve(); // already closed or never bound
    }
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => {
      resolve();
    });
  });
}
