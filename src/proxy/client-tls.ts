// TLS termination of client connections (a TLS listener, or LDAP after StartTLS), inside each
// connection's first-message deadline. Connections are handed to a tls.Server that never listens
// (node documents injecting them through its 'connection' event): it is the only public way to have
// node verify a client certificate against `tls.trust` and report `authorized`.
import type { Socket } from 'node:net';
import { type Server as TlsServer, type TLSSocket, createServer } from 'node:tls';
import type { TlsMaterial } from '../net/tls.ts';
import type { ClientCertificate } from './client-certificate.ts';

export type TlsAcceptance =
  | { readonly kind: 'secure'; readonly socket: TLSSocket }
  /** The client went away during the handshake: not a failed handshake. */
  | { readonly kind: 'closed' }
  | { readonly kind: 'failed'; readonly error: Error }
  | { readonly kind: 'timeout' };

export interface ServerTls {
  /** The current material (it changes on reload). */
  readonly material: () => TlsMaterial;
  /** Ask for a client certificate (a service of this kind checks certificates). */
  readonly requestCert: boolean;
}

export interface TlsTerminator {
  accept(raw: Socket, deadline: AbortSignal): Promise<TlsAcceptance>;
}

export function createTlsTerminator(tls: ServerTls, handshakeTimeoutMs: number): TlsTerminator {
  let material = tls.material();
  const server: TlsServer = createServer({
    ...material.secureContextOptions(),
    SNICallback: (servername, cb) => {
      cb(null, tls.material().selectContext(servername));
    },
    requestCert: tls.requestCert,
    // The certificate decides the target's encryption (target.ts); it never refuses the client.
    rejectUnauthorized: false,
    handshakeTimeout: handshakeTimeoutMs,
  });
  // The server hands back sockets, not the connections given to it: they are matched by their
  // four-tuple, unique among the open connections of a listener.
  const waiting = new Map<string, (outcome: TlsAcceptance) => void>();
  server.on('secureConnection', (socket: TLSSocket) => {
    socket.on('error', ignore);
    const settle = waiting.get(fourTuple(socket));
    if (settle === undefined) socket.destroy();
    else settle({ kind: 'secure', socket });
  });
  server.on('tlsClientError', (error: Error & { code?: unknown }, socket: TLSSocket) => {
    // ECONNRESET: "Client network socket disconnected before secure TLS connection was established".
    waiting.get(fourTuple(socket))?.(
      error.code === 'ECONNRESET' ? { kind: 'closed' } : { kind: 'failed', error },
    );
  });

  return {
    accept(raw, deadline) {
      const current = tls.material();
      if (current !== material) {
        material = current;
        server.setSecureContext(current.secureContextOptions()); // the certificate used without SNI
      }
      const key = fourTuple(raw);
      return new Promise((resolve) => {
        const settle = (outcome: TlsAcceptance): void => {
          if (waiting.get(key) !== settle) return;
          waiting.delete(key);
          raw.off('close', onClose);
          deadline.removeEventListener('abort', onAbort);
          if (outcome.kind === 'secure')
            outcome.socket.allowHalfOpen = true; // for the relay
          else raw.destroy();
          resolve(outcome);
        };
        const onClose = (): void => {
          settle({ kind: 'closed' });
        };
        const onAbort = (): void => {
          settle({ kind: 'timeout' });
        };
        if (deadline.aborted || raw.destroyed || waiting.has(key)) {
          raw.destroy();
          resolve(deadline.aborted ? { kind: 'timeout' } : { kind: 'closed' });
          return;
        }
        waiting.set(key, settle);
        raw.once('close', onClose);
        deadline.addEventListener('abort', onAbort, { once: true });
        // During the handshake a client's FIN ends the connection (the TLS socket inherits this);
        // once secure, half-close is allowed again.
        raw.allowHalfOpen = false;
        server.emit('connection', raw);
      });
    },
  };
}

/** What the handshake proved about the client's certificate; undefined when it sent none. */
export function clientCertificateOf(socket: TLSSocket): ClientCertificate | undefined {
  const peer = socket.getPeerCertificate();
  // node returns an empty object when the client presented no certificate.
  if (Object.keys(peer).length === 0) return undefined;
  const subject = peer.subject as Record<string, string | string[] | undefined> | undefined;
  const cn = subject?.['CN'];
  return {
    authorized: socket.authorized,
    commonNames: cn === undefined ? [] : Array.isArray(cn) ? cn : [cn],
    subjectAltName: peer.subjectaltname,
  };
}

function fourTuple(socket: Socket): string {
  return `${socket.remoteAddress ?? ''}|${socket.remotePort ?? ''}|${socket.localAddress ?? ''}|${socket.localPort ?? ''}`;
}

function ignore(): void {
  // Failures surface as 'close'; without a listener an 'error' event would end the process.
}
