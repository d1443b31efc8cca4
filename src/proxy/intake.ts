// From accept to a routable first message: TLS termination, the first message within the deadline
// and the byte limit, LDAP's StartTLS; every way it can fail ends the connection here.
import type { Socket } from 'node:net';
import { type FirstMessage, readFirstMessage } from '../net/first-message.ts';
import type { ClientCertificate } from './client-certificate.ts';
import { type TlsAcceptance, type TlsTerminator, clientCertificateOf } from './client-tls.ts';
import type { ConnectionOutcome } from './metrics.ts';
import type { RefusalCause, SniffResult } from './protocol.ts';
import { type RefusalDeps, refuse } from './refusal.ts';

export type RouteResult = Extract<SniffResult, { kind: 'route' }>;
type Decision = Exclude<SniffResult, { kind: 'need-more' }>;

export interface IntakeDeps extends RefusalDeps {
  /** The listener's type terminates TLS. */
  readonly terminatesTls: boolean;
  /** Certificates for a TLS listener, and for StartTLS on a plain one (absent: StartTLS refused). */
  readonly tls: TlsTerminator | undefined;
  readonly maxFirstMessageBytes: number;
}

interface Secured {
  /** The client as the relay sees it: the TLS socket once TLS is terminated. */
  readonly client: Socket;
  readonly clientTls: boolean;
  readonly certificate: ClientCertificate | undefined;
}

export type Intake =
  | (Secured & {
      readonly kind: 'route';
      readonly result: RouteResult;
      /** Everything read from the client so far: the first message and whatever followed it. */
      readonly bytes: Buffer;
      readonly ended: boolean;
    })
  | { readonly kind: 'done'; readonly outcome: ConnectionOutcome; readonly reason?: string };

/** One connection's side of the intake. */
export interface IntakeConnection {
  readonly remoteIp: string;
  /** Aborts at firstMessageTimeout after accept. */
  readonly deadline: AbortSignal;
  /** Registers the TLS socket, so that it is destroyed with the connection. */
  readonly own: (socket: Socket) => void;
}

type Context = IntakeConnection & { readonly deps: IntakeDeps };

export async function intake(
  raw: Socket,
  connection: IntakeConnection,
  deps: IntakeDeps,
): Promise<Intake> {
  const context: Context = { ...connection, deps };
  let secured: Secured | Intake = { client: raw, clientTls: false, certificate: undefined };
  if (deps.terminatesTls && deps.tls !== undefined) {
    secured = await secure(deps.tls, raw, context);
    if ('kind' in secured) return secured;
  }
  const sniff = (bytes: Buffer): Decision | undefined => {
    const result = deps.protocol.sniff(bytes);
    return result.kind === 'need-more' ? undefined : result;
  };
  for (;;) {
    const first = await readFirstMessage(secured.client, {
      maxBytes: deps.maxFirstMessageBytes,
      signal: connection.deadline,
      sniff,
    });
    const next = decide(first, secured, context);
    if (next.kind !== 'starttls') return next;
    if (deps.tls === undefined) return next.refuse();
    await writeAndFlush(secured.client, next.reply);
    secured = await secure(deps.tls, secured.client, context);
    if ('kind' in secured) return secured;
  }
}

type Step = Intake | { kind: 'starttls'; reply: Uint8Array; refuse: () => Intake };

function decide(first: FirstMessage<Decision>, secured: Secured, context: Context): Step {
  const refuseWith = refusing(secured.client, first.bytes, context);
  switch (first.kind) {
    case 'decided':
      return decideResult(first, secured, context);
    case 'timeout':
      return refuseWith('first-message-timeout', 'proxy.first-message-timeout');
    case 'too-large':
      return refuseWith('too-large', 'proxy.too-large');
    case 'closed':
      secured.client.destroy();
      return { kind: 'done', outcome: 'client-closed' };
    case 'failed':
      throw first.error;
  }
}

function decideResult(
  first: Extract<FirstMessage<Decision>, { kind: 'decided' }>,
  secured: Secured,
  context: Context,
): Step {
  const { result, bytes, ended } = first;
  const refuseWith = refusing(secured.client, bytes, context);
  switch (result.kind) {
    case 'reject':
      return refuseWith('malformed', result.reason);
    case 'route':
      return result.size > context.deps.maxFirstMessageBytes
        ? refuseWith('too-large', 'proxy.too-large')
        : { kind: 'route', ...secured, result, bytes, ended };
    case 'starttls': {
      // Once only, on a plain connection, and the client must wait for the answer before its
      // ClientHello: bytes after the request would be read as plaintext (RFC 4511 §4.14.1).
      const refuseStartTls = (): Intake => refuseWith('malformed', 'proxy.starttls-refused');
      if (secured.clientTls || bytes.length > result.size || ended) return refuseStartTls();
      return { kind: 'starttls', reply: result.reply, refuse: refuseStartTls };
    }
  }
}

function refusing(
  client: Socket,
  message: Buffer,
  context: Context,
): (cause: RefusalCause, reason: string) => Intake {
  return (cause, reason) => ({
    kind: 'done',
    ...refuse(client, context.remoteIp, context.deps, { cause, reason, message }),
  });
}

async function secure(
  tls: TlsTerminator,
  socket: Socket,
  context: Context,
): Promise<Secured | Intake> {
  const accepted = await tls.accept(socket, context.deadline);
  if (accepted.kind === 'secure') {
    const { socket: client } = accepted;
    context.own(client);
    return { client, clientTls: true, certificate: clientCertificateOf(client) };
  }
  return tlsFailure(accepted, context);
}

function tlsFailure(failure: Exclude<TlsAcceptance, { kind: 'secure' }>, context: Context): Intake {
  const { deps, remoteIp } = context;
  // Without a TLS session nothing can be said to the client in its protocol: the terminator closed it.
  switch (failure.kind) {
    case 'closed':
      return { kind: 'done', outcome: 'client-closed' };
    case 'timeout':
      deps.suspicious(remoteIp, 'proxy.first-message-timeout');
      deps.metrics.refusal('first-message-timeout');
      return {
        kind: 'done',
        outcome: 'refused-first-message-timeout',
        reason: 'proxy.first-message-timeout',
      };
    case 'failed':
      deps.suspicious(remoteIp, 'tls.handshake-failed');
      return { kind: 'done', outcome: 'tls-failed', reason: 'tls.handshake-failed' };
  }
}

function writeAndFlush(socket: Socket, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    socket.write(bytes, () => {
      resolve(); // a failed write shows up as a closed socket in the handshake that follows
    });
  });
}
