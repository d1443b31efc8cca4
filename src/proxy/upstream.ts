// The gateway's own connection to a backend: TCP, the optional PROXY protocol header, then TLS
// when the target wants it, all within one connect timeout.
import { type Socket, connect as connectTcp } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { attachPooledReads, pooledReadOptions } from '../net/pooled-reads.ts';
import type { Target } from './target.ts';

export type Upstream =
  | { readonly kind: 'connected'; readonly socket: Socket }
  | {
      readonly kind: 'failed';
      readonly cause: 'backend-unavailable' | 'backend-timeout';
      readonly error: Error | undefined;
    };

export interface UpstreamOptions {
  /** Written before anything else, in the clear even to a TLS port (as HAProxy's send-proxy). */
  readonly header: Uint8Array | undefined;
  readonly timeoutMs: number;
  /** Each socket opened, so that the listener can destroy it on stop. */
  readonly own: (socket: Socket) => void;
  /** A plain backend reads into pooled buffers (net/pooled-reads.ts), for relay(). */
  readonly pooledReads?: boolean;
}

export function connectUpstream(target: Target, options: UpstreamOptions): Promise<Upstream> {
  return new Promise((resolve) => {
    let error: Error | undefined;
    let settled = false;
    // TLS reads its own way.
    const pooled = options.pooledReads === true && !target.tls ? pooledReadOptions() : undefined;
    const tcp = connectTcp({
      host: target.host,
      port: target.port,
      allowHalfOpen: true,
      noDelay: true,
      ...(pooled === undefined ? {} : { onread: pooled.onread }),
    });
    if (pooled !== undefined) attachPooledReads(tcp, pooled.reads);
    options.own(tcp);
    let current: Socket = tcp;
    const fail = (cause: 'backend-unavailable' | 'backend-timeout'): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      current.destroy();
      tcp.destroy();
      resolve({ kind: 'failed', cause, error });
    };
    const succeed = (socket: Socket): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('close', onClose);
      resolve({ kind: 'connected', socket });
    };
    const onError = (err: Error): void => {
      error ??= err;
    };
    const onClose = (): void => {
      fail('backend-unavailable');
    };
    const timer = setTimeout(() => {
      fail('backend-timeout');
    }, options.timeoutMs);
    tcp.on('error', onError);
    tcp.once('close', onClose);
    tcp.once('connect', () => {
      if (options.header !== undefined) tcp.write(options.header);
      if (!target.tls) {
        succeed(tcp);
        return;
      }
      tcp.off('close', onClose);
      const tls = connectTls({
        socket: tcp,
        // PBX backends mostly present self-signed certificates: the hop is encrypted but its peer
        // is not authenticated (as HAProxy's `verify none`). The backend is configured by address.
        rejectUnauthorized: false,
        ...(target.servername === undefined ? {} : { servername: target.servername }),
      });
      options.own(tls);
      current = tls;
      tls.on('error', onError);
      tls.once('close', onClose);
      tls.once('secureConnect', () => {
        succeed(tls);
      });
    });
  });
}
