// One HTTP client connection after TLS: request after request, each routed by its Host and checked
// (client IP, URL) on its own before a byte of it reaches a backend. One backend connection is kept
// and reused while requests go to the same target; one request is handled at a time.
import type { Socket } from 'node:net';
import type { Suspicious } from '../../fraud/suspicious.ts';
import { describeTarget, proxyHeader } from '../connection.ts';
import type { ConnectionOutcome, ListenerMetrics } from '../metrics.ts';
import type { RefusalCause } from '../protocol.ts';
import { endWith } from '../refusal.ts';
import type { Router } from '../router.ts';
import { type Target, chooseTarget } from '../target.ts';
import { connectUpstream } from '../upstream.ts';
import { checkUrl } from './allow-url.ts';
import { createChunkedFramer } from './chunked.ts';
import { type ExchangeDeps, type ExchangeEnd, exchange } from './exchange.ts';
import { type Inbox, createInbox, readHead } from './inbox.ts';
import { type RefusalStatus, refusal, statusForProblem } from './refuse.ts';
import { type RequestHead, decodeRequestHead } from './request-head.ts';
import { rewriteRequestHead } from './rewrite.ts';

export interface SessionDeps extends ExchangeDeps {
  readonly router: Router;
  readonly connectTimeoutMs: number;
  /** How long a keep-alive connection may wait for (the whole head of) its next request. */
  readonly keepAliveTimeoutMs: number;
  readonly isTrustedProxy: (ip: string) => boolean;
  readonly suspicious: Suspicious;
  readonly metrics: ListenerMetrics;
}

export interface SessionContext {
  readonly raw: Socket;
  readonly client: Socket;
  readonly remoteIp: string;
  readonly isTls: boolean;
  /** What is left of firstMessageTimeout for the first request head. */
  readonly firstHeadTimeoutMs: number;
  /** The first request is routed: the connection no longer counts as pending. */
  readonly onRouted: () => void;
  readonly own: (socket: Socket) => void;
}

export interface SessionReport {
  readonly outcome: ConnectionOutcome;
  readonly reason?: string;
  readonly requests: number;
  readonly service?: string;
  readonly target?: string;
}

interface Upstream {
  readonly key: string;
  readonly inbox: Inbox;
}

type Step = { readonly kind: 'next' } | { readonly kind: 'end'; readonly report: SessionReport };

const CAUSE_STATUS: Readonly<Record<RefusalCause, RefusalStatus | undefined>> = {
  malformed: 400,
  'unknown-service': 404,
  forbidden: 403,
  'backend-unavailable': 502,
  'backend-timeout': 504,
  'first-message-timeout': undefined,
  'too-large': 431,
};

export async function runSession(ctx: SessionContext, deps: SessionDeps): Promise<SessionReport> {
  const client = createInbox(ctx.client);
  const sides = {
    remoteIp: ctx.remoteIp,
    client,
    requestFramer: createChunkedFramer(),
    responseFramer: createChunkedFramer(),
  };
  let upstream: Upstream | undefined;
  let last: { service?: string; target?: string } = {};
  let requests = 0;
  const dropUpstream = (): void => {
    upstream?.inbox.socket.destroy();
    upstream = undefined;
  };
  ctx.client.once('close', dropUpstream);
  const end = (report: Omit<SessionReport, 'requests'>): Step => ({
    kind: 'end',
    report: { ...last, ...report, requests },
  });
  /** A refusal page (or none), the suspicious event, and the end of the connection. */
  const refuse = (cause: RefusalCause, reason: string, status = CAUSE_STATUS[cause]): Step => {
    deps.suspicious(ctx.remoteIp, reason);
    deps.metrics.refusal(cause);
    dropUpstream();
    endWith(ctx.client, status === undefined ? undefined : refusal(status));
    return end({ outcome: requests > 0 ? 'routed' : `refused-${cause}`, reason });
  };

  const handle = async (request: RequestHead): Promise<Step> => {
    const host = request.host;
    if (host === undefined) return refuse('malformed', 'http.missing-host');
    const decision = deps.router.route([host], ctx.remoteIp);
    if (decision.kind === 'unknown-service')
      return refuse('unknown-service', 'proxy.unknown-service');
    const { service } = decision;
    last = { service: service.name };
    if (decision.kind === 'forbidden') return refuse('forbidden', 'proxy.forbidden');
    const urlProblem = checkUrl(request.path, service.urls);
    if (urlProblem !== undefined) return refuse('forbidden', urlProblem);
    const target = chooseTarget({
      service,
      kind: 'http',
      clientTls: ctx.isTls,
      identity: undefined,
      certificate: undefined,
    });
    if (target === undefined) return refuse('unknown-service', 'proxy.unknown-service');
    if (requests === 0) ctx.onRouted();
    requests++;
    const key = describeTarget(target);
    last = { service: service.name, target: key };
    // The kept connection serves the next request only when it goes to the same service.
    return forward(request, target, `${service.name}\n${key}`);
  };

  /** Sends the request over the kept backend connection (or a new one) and relays the answer. */
  const forward = async (request: RequestHead, target: Target, key: string): Promise<Step> => {
    if (upstream !== undefined && (upstream.key !== key || !isIdle(upstream.inbox))) {
      dropUpstream();
    }
    const isReused = upstream !== undefined;
    const out = rewriteRequestHead(request, {
      clientIp: ctx.remoteIp,
      isTls: ctx.isTls,
      trustedProxy: deps.isTrustedProxy(ctx.remoteIp),
    });
    let result = await exchangeOn(request, out, target, key);
    // A kept connection the backend closed just before our request: once more on a fresh one,
    // when no byte of a body was consumed (RFC 9112 §9.3.1 lets a client retry such a request).
    if (
      isReused &&
      result.kind === 'refuse' &&
      result.reason === 'http.backend-closed' &&
      result.status === 502 &&
      request.framing.kind === 'none'
    ) {
      dropUpstream();
      result = await exchangeOn(request, out, target, key);
    }
    return finish(result);
  };

  const exchangeOn = async (
    request: RequestHead,
    out: Buffer,
    target: Target,
    key: string,
  ): Promise<ExchangeEnd | Step> => {
    if (upstream === undefined) {
      const failed = await connect(target, key);
      if (failed !== undefined) return failed;
    }
    if (upstream === undefined) throw new Error('no upstream after connect');
    upstream.inbox.onEnd = undefined;
    return exchange(request, out, { ...sides, backend: upstream.inbox }, deps);
  };

  const finish = (result: ExchangeEnd | Step): Step => {
    switch (result.kind) {
      case 'next':
      case 'end':
        return result;
      case 'complete':
        if (result.isBackendReusable) park();
        else dropUpstream();
        if (result.isClientReusable && !client.ended) return { kind: 'next' };
        endWith(ctx.client, undefined);
        return end({ outcome: 'routed' });
      case 'refuse':
        if (result.isClientFault) return refuse('malformed', result.reason, result.status);
        deps.metrics.refusal(result.status === 504 ? 'backend-timeout' : 'backend-unavailable');
        dropUpstream();
        endWith(ctx.client, refusal(result.status));
        return end({ outcome: 'routed', reason: result.reason });
      case 'aborted':
        dropUpstream();
        ctx.client.destroy();
        return end({ outcome: 'routed', reason: result.reason });
      case 'tunnelled':
        return end({ outcome: 'routed' });
    }
  };

  /** Between requests the kept connection is watched: its FIN drops it, as do stray bytes. */
  const park = (): void => {
    const kept = upstream;
    if (kept === undefined) return;
    if (kept.inbox.pending !== undefined || kept.inbox.ended) {
      dropUpstream();
      return;
    }
    kept.inbox.onEnd = () => {
      if (upstream === kept) dropUpstream();
      else kept.inbox.socket.destroy();
    };
  };

  /** Opens the backend connection for `target`; a Step when that failed. */
  const connect = async (target: Target, key: string): Promise<Step | undefined> => {
    const connected = await connectUpstream(target, {
      header: proxyHeader(target, ctx.raw, ctx.remoteIp),
      timeoutMs: deps.connectTimeoutMs,
      own: ctx.own,
    });
    if (connected.kind === 'failed') {
      return refuse(connected.cause, `proxy.${connected.cause}`);
    }
    const socket = connected.socket;
    socket.on('error', ignore);
    if (ctx.client.destroyed) {
      socket.destroy();
      return end({ outcome: 'client-closed' });
    }
    upstream = { key, inbox: createInbox(socket) };
    return undefined;
  };

  for (;;) {
    const isFirst = requests === 0;
    const timeoutMs = isFirst ? ctx.firstHeadTimeoutMs : deps.keepAliveTimeoutMs;
    const read = await readHead(
      client,
      (bytes) => decodeRequestHead(bytes, deps.limits),
      timeoutMs,
    );
    let step: Step;
    switch (read.kind) {
      case 'ok':
        step = await handle(read.value);
        break;
      case 'malformed':
        step = refuse('malformed', read.reason, statusForProblem(read.reason));
        break;
      case 'timeout':
        // A client that never sends its first request is suspicious; an idle keep-alive is not.
        if (isFirst) step = refuse('first-message-timeout', 'proxy.first-message-timeout');
        else {
          dropUpstream();
          endWith(ctx.client, undefined);
          step = end({ outcome: 'routed', reason: 'http.keep-alive-timeout' });
        }
        break;
      case 'closed':
        dropUpstream();
        ctx.client.destroy();
        step = end({ outcome: isFirst ? 'client-closed' : 'routed' });
        break;
    }
    if (step.kind === 'end') return step.report;
  }
}

/** Still open, and nothing came from the backend since its last response. */
function isIdle(inbox: Inbox): boolean {
  return !inbox.socket.destroyed && !inbox.ended && inbox.pending === undefined;
}

function ignore(): void {
  // Failures surface as 'close' where a read or pipe waits for them.
}
