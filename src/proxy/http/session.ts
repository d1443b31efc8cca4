// One HTTP client connection after TLS: request after request, each routed by its Host and checked
// (client IP, URL) on its own before a byte of it reaches a backend. One backend connection is kept
// and reused while requests go to the same target; one request is handled at a time (pipelined
// requests wait in the client's stash).
//
// Event-driven on purpose: each socket gets its listeners once, a request costs no promise, no
// listener churn and (mostly) no timer. Measured in bench/http, the same codecs behind an
// await-per-step design cost twice the CPU per request.
import type { Socket } from 'node:net';
import type { Suspicious } from '../../fraud/suspicious.ts';
import { LazyDeadline } from '../../net/lazy-deadline.ts';
import { describeTarget, proxyHeader } from '../connection.ts';
import type { ConnectionOutcome, ListenerMetrics } from '../metrics.ts';
import type { RefusalCause } from '../protocol.ts';
import { endWith } from '../refusal.ts';
import type { Router } from '../router.ts';
import { type Target, chooseTarget } from '../target.ts';
import { type Upstream as Connected, connectUpstream } from '../upstream.ts';
import { checkUrl } from './allow-url.ts';
import { BodyMeter } from './body-meter.ts';
import { createChunkedFramer } from './chunked.ts';
import type { HeadLimits } from './problem.ts';
import { type RefusalStatus, refusal, statusForProblem } from './refuse.ts';
import { type RequestHead, decodeRequestHead } from './request-head.ts';
import { type ResponseHead, decodeResponseHead } from './response-head.ts';
import { rewriteRequestHead } from './rewrite.ts';
import { wholeResponseSize, writeResponseHead } from './response-out.ts';
import { tunnel } from './tunnel.ts';

export interface SessionDeps {
  readonly router: Router;
  readonly limits: HeadLimits;
  readonly connectTimeoutMs: number;
  /** How long a keep-alive connection may wait for (the whole head of) its next request. */
  readonly keepAliveTimeoutMs: number;
  /** How long the backend may take to start its response. */
  readonly responseTimeoutMs: number;
  /** A body that moves no byte this long, or a tunnel after 101 idle this long, is closed. */
  readonly idleTimeoutMs: number;
  readonly isTrustedProxy: (ip: string) => boolean;
  readonly suspicious: Suspicious;
  readonly metrics: ListenerMetrics;
  /** Blacklisted now? Asked per request: a brute force on one keep-alive connection ends there. */
  readonly isBlocked?: ((ip: string) => boolean) | undefined;
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

/** Kept unread before the client is paused: a pipelined request or two. */
const STASH_LIMIT_BYTES = 65_536;

const Phase = {
  /** Waiting for the next request head. */
  head: 0,
  /** Opening the backend connection for the request. */
  connecting: 1,
  /** The request is on its way to the backend and its response on its way back. */
  exchange: 2,
  /** After 101: a plain relay both ways. */
  tunnel: 3,
  done: 4,
} as const;
type Phase = (typeof Phase)[keyof typeof Phase];

const Reply = {
  /** Waiting for the (next) response head: interim heads may come first. */
  head: 0,
  body: 1,
  /** No response expected: bytes from the backend now are stray. */
  none: 2,
} as const;
type Reply = (typeof Reply)[keyof typeof Reply];

const Wait = { firstHead: 0, keepAlive: 1, response: 2, idle: 3 } as const;
type Wait = (typeof Wait)[keyof typeof Wait];

/** A backend connection and what was read from it but not relayed yet. */
interface Backend {
  readonly key: string;
  readonly socket: Socket;
  pending: Buffer | undefined;
  ended: boolean;
  detach(): void;
}

const CAUSE_STATUS: Readonly<Record<RefusalCause, RefusalStatus | undefined>> = {
  malformed: 400,
  'unknown-service': 404,
  forbidden: 403,
  'backend-unavailable': 502,
  'backend-timeout': 504,
  'first-message-timeout': undefined,
  'too-large': 431,
};

export function runSession(ctx: SessionContext, deps: SessionDeps): Promise<SessionReport> {
  return new Promise((resolve, reject) => {
    new HttpSession(ctx, deps, resolve, reject).begin();
  });
}

class HttpSession {
  private readonly client: Socket;
  private readonly deadline: LazyDeadline;
  private readonly requestBody = new BodyMeter(() => createChunkedFramer());
  private readonly responseBody = new BodyMeter(() => createChunkedFramer());
  private readonly trustedProxy: boolean;
  private readonly ctx: SessionContext;
  private readonly deps: SessionDeps;
  private readonly resolve: (report: SessionReport) => void;
  private readonly reject: (error: unknown) => void;

  private phase: Phase = Phase.head;
  private reply: Reply = Reply.none;
  private wait: Wait = Wait.firstHead;
  /** Read from the client and not handled yet: the next request (head) or more. */
  private stash: Buffer | undefined = undefined;
  private clientEnded = false;
  private backend: Backend | undefined = undefined;

  /** The request in flight, its rewritten head, and where it goes. */
  private request: RequestHead | undefined = undefined;
  private out: Buffer = Buffer.alloc(0);
  private target: Target | undefined = undefined;
  private key = '';
  private isRequestBodyOpen = false;
  /** A response head (interim or final) went to the client for the request in flight. */
  private isReplyStarted = false;
  /** A retry on a fresh backend connection is allowed (a kept one that closed under us). */
  private mayRetry = false;
  private final: ResponseHead | undefined = undefined;

  private requests = 0;
  private service: string | undefined = undefined;
  private targetName: string | undefined = undefined;

  constructor(
    ctx: SessionContext,
    deps: SessionDeps,
    resolve: (report: SessionReport) => void,
    reject: (error: unknown) => void,
  ) {
    this.ctx = ctx;
    this.deps = deps;
    this.resolve = resolve;
    this.reject = reject;
    this.client = ctx.client;
    this.deadline = new LazyDeadline(this.onDeadline);
    this.trustedProxy = deps.isTrustedProxy(ctx.remoteIp);
  }

  begin(): void {
    const { client } = this;
    client.on('data', this.onClientData);
    client.on('end', this.onClientEnd);
    client.on('close', this.onClientClose);
    client.on('drain', this.onClientDrain);
    this.deadline.set(this.ctx.firstHeadTimeoutMs);
    if (client.destroyed) {
      this.onClientClose();
      return;
    }
    client.resume();
  }

  // ---- the client side ----

  private readonly onClientData = (chunk: Buffer): void => {
    this.guardEach(this.takeClientData, chunk);
  };

  private readonly takeClientData = (chunk: Buffer): void => {
    if (this.isRequestBodyOpen) {
      this.relayRequestBody(chunk, 0);
      return;
    }
    this.stash = this.stash === undefined ? chunk : Buffer.concat([this.stash, chunk]);
    if (this.phase === Phase.head) this.nextRequest();
    else if (this.stash.length >= STASH_LIMIT_BYTES) this.client.pause();
  };

  private readonly onClientEnd = (): void => {
    this.guard(() => {
      this.clientEnded = true;
      if (this.phase === Phase.head) {
        // Whatever was stashed is not a whole head: it would have been handled when it came.
        this.dropBackend();
        this.client.destroy();
        this.end({ outcome: this.requests === 0 ? 'client-closed' : 'routed' });
      } else if (this.isRequestBodyOpen) {
        this.abort('http.client-closed');
      }
    });
  };

  private readonly onClientClose = (): void => {
    if (this.phase === Phase.done || this.phase === Phase.tunnel) return;
    this.dropBackend();
    if (this.phase === Phase.head) {
      this.end({ outcome: this.requests === 0 ? 'client-closed' : 'routed' });
    } else {
      this.end({ outcome: 'routed', reason: 'http.client-closed' });
    }
  };

  private readonly onClientDrain = (): void => {
    const backend = this.backend;
    if (backend !== undefined && backend.socket.isPaused()) backend.socket.resume();
  };

  /** Reads on, unless the backend is full or the stash already holds what comes next. */
  private flowClient(): void {
    const { client } = this;
    if (!client.isPaused() || client.destroyed) return;
    if (this.isRequestBodyOpen && this.backend?.socket.writableNeedDrain === true) return;
    if (this.phase !== Phase.head && (this.stash?.length ?? 0) >= STASH_LIMIT_BYTES) return;
    client.resume();
  }

  /** Handles the stashed request head, if it is whole. */
  private nextRequest(): void {
    const bytes = this.stash;
    if (bytes === undefined) return;
    const decoded = decodeRequestHead(bytes, this.deps.limits);
    if (decoded.kind === 'incomplete') return;
    if (decoded.kind === 'malformed') {
      this.refuse('malformed', decoded.reason, statusForProblem(decoded.reason));
      return;
    }
    this.stash = decoded.size < bytes.length ? bytes.subarray(decoded.size) : undefined;
    this.route(decoded.value);
  }

  private route(request: RequestHead): void {
    const { deps, ctx } = this;
    if (this.requests > 0 && deps.isBlocked?.(ctx.remoteIp) === true) {
      this.abort('fraud.blacklisted');
      return;
    }
    const host = request.host;
    if (host === undefined) {
      this.refuse('malformed', 'http.missing-host');
      return;
    }
    const decision = deps.router.route([host], ctx.remoteIp);
    if (decision.kind === 'unknown-service') {
      this.refuse('unknown-service', 'proxy.unknown-service');
      return;
    }
    const { service } = decision;
    this.service = service.name;
    if (decision.kind === 'forbidden') {
      this.refuse('forbidden', 'proxy.forbidden');
      return;
    }
    const urlProblem = checkUrl(request.path, service.urls);
    if (urlProblem !== undefined) {
      this.refuse('forbidden', urlProblem);
      return;
    }
    const target = chooseTarget({
      service,
      kind: 'http',
      clientTls: ctx.isTls,
      identity: undefined,
      certificate: undefined,
    });
    if (target === undefined) {
      this.refuse('unknown-service', 'proxy.unknown-service');
      return;
    }
    if (this.requests === 0) ctx.onRouted();
    this.requests++;
    const name = describeTarget(target);
    this.targetName = name;
    this.request = request;
    this.target = target;
    this.out = rewriteRequestHead(request, {
      clientIp: ctx.remoteIp,
      isTls: ctx.isTls,
      trustedProxy: this.trustedProxy,
    });
    // The kept connection serves the next request only when it goes to the same service.
    const key = `${service.name}\n${name}`;
    this.key = key;
    const kept = this.backend;
    if (kept !== undefined && (kept.key !== key || !isIdle(kept))) this.dropBackend();
    this.mayRetry = this.backend !== undefined && request.framing.kind === 'none';
    this.forward();
  }

  /** Sends the request in flight over the kept backend connection, or a new one. */
  private forward(): void {
    this.phase = Phase.exchange;
    this.reply = Reply.head;
    this.isReplyStarted = false;
    this.final = undefined;
    this.wait = Wait.response;
    this.deadline.set(this.deps.responseTimeoutMs);
    if (this.backend === undefined) {
      this.connect();
      return;
    }
    this.send(this.backend);
  }

  private connect(): void {
    const target = this.target;
    if (target === undefined) throw new Error('connect without a target');
    this.phase = Phase.connecting;
    this.deadline.clear(); // connectUpstream has its own timeout
    const { ctx } = this;
    connectUpstream(target, {
      header: proxyHeader(target, ctx.raw, ctx.remoteIp),
      timeoutMs: this.deps.connectTimeoutMs,
      own: ctx.own,
    }).then(
      (connected) => {
        if (this.phase === Phase.done) {
          if (connected.kind === 'connected') connected.socket.destroy();
          return;
        }
        this.guard(() => {
          this.onConnected(connected);
        });
      },
      (error: unknown) => {
        this.fail(error);
      },
    );
  }

  private onConnected(connected: Connected): void {
    if (connected.kind === 'failed') {
      if (this.phase === Phase.connecting) {
        this.refuse(connected.cause, `proxy.${connected.cause}`);
      }
      return;
    }
    const { socket } = connected;
    if (this.phase !== Phase.connecting || this.client.destroyed) {
      socket.destroy();
      this.end({ outcome: 'client-closed' });
      return;
    }
    this.backend = this.attach(socket);
    this.phase = Phase.exchange;
    this.wait = Wait.response;
    this.deadline.set(this.deps.responseTimeoutMs);
    this.send(this.backend);
  }

  private send(backend: Backend): void {
    const request = this.request;
    if (request === undefined) throw new Error('send without a request');
    this.deps.metrics.clientToBackend.inc(this.out.length);
    backend.socket.write(this.out);
    if (this.requestBody.start(request.framing)) {
      this.isRequestBodyOpen = true;
      const stashed = this.stash;
      this.stash = undefined;
      if (stashed !== undefined) this.relayRequestBody(stashed, 0);
    }
    if (this.isRequestBodyOpen && this.clientEnded) {
      this.abort('http.client-closed');
      return;
    }
    this.flowClient();
  }

  /** chunk[from..]: body bytes go to the backend, what follows the body waits in the stash. */
  private relayRequestBody(chunk: Buffer, from: number): void {
    const backend = this.backend;
    if (backend === undefined) return;
    const meter = this.requestBody;
    const taken = meter.take(chunk, from);
    if (taken < 0) {
      this.isRequestBodyOpen = false;
      this.requestBodyMalformed();
      return;
    }
    const end = from + taken;
    if (taken > 0) {
      this.deps.metrics.clientToBackend.inc(taken);
      const bytes = from === 0 && end === chunk.length ? chunk : chunk.subarray(from, end);
      if (!backend.socket.write(bytes) && !meter.isDone) this.client.pause();
    }
    if (!meter.isDone) return;
    this.isRequestBodyOpen = false;
    if (end < chunk.length) {
      const rest = chunk.subarray(end);
      this.stash = this.stash === undefined ? rest : Buffer.concat([this.stash, rest]);
    }
  }

  private requestBodyMalformed(): void {
    const problem = this.requestBody.problem;
    // A request that cannot be completed must not reach the backend as half a request.
    if (this.isReplyStarted) {
      this.deps.suspicious(this.ctx.remoteIp, problem);
      this.abort(problem);
    } else {
      this.refuse('malformed', problem, 400);
    }
  }

  // ---- the backend side ----

  private attach(socket: Socket): Backend {
    const backend: Backend = {
      key: this.key,
      socket,
      pending: undefined,
      ended: false,
      detach: () => {
        socket.off('data', onData);
        socket.off('end', onEnd);
        socket.off('close', onClose);
        socket.off('drain', onDrain);
      },
    };
    const take = (chunk: Buffer): void => {
      if (this.backend === backend) this.onBackendData(backend, chunk);
      else socket.destroy();
    };
    const onData = (chunk: Buffer): void => {
      this.guardEach(take, chunk);
    };
    const onEnd = (): void => {
      backend.ended = true;
      this.guard(() => {
        if (this.backend === backend) this.onBackendGone(backend);
      });
    };
    const onClose = (): void => {
      this.guard(() => {
        if (this.backend === backend) this.onBackendGone(backend);
      });
    };
    const onDrain = (): void => {
      if (this.backend === backend) this.flowClient();
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onClose);
    socket.on('drain', onDrain);
    socket.on('error', ignore);
    socket.resume();
    return backend;
  }

  private onBackendData(backend: Backend, chunk: Buffer): void {
    switch (this.reply) {
      case Reply.head:
        backend.pending =
          backend.pending === undefined ? chunk : Buffer.concat([backend.pending, chunk]);
        this.nextResponseHead(backend);
        return;
      case Reply.body:
        this.relayResponseBody(backend, chunk, 0);
        return;
      case Reply.none:
        // Nothing was asked: a backend that talks now cannot carry the next request.
        this.dropBackend();
        return;
    }
  }

  private nextResponseHead(backend: Backend): void {
    const request = this.request;
    if (request === undefined) throw new Error('a response without a request');
    const { deps } = this;
    for (;;) {
      const bytes = backend.pending;
      if (bytes === undefined) return;
      const decoded = decodeResponseHead(bytes, request.method, deps.limits);
      if (decoded.kind === 'incomplete') return;
      if (decoded.kind === 'malformed') {
        this.backendFailed(502, decoded.reason);
        return;
      }
      const head = decoded.value;
      if (head.isSwitchingProtocols && !request.isWebSocketUpgrade) {
        this.backendFailed(502, 'http.unexpected-101');
        return;
      }
      // A whole Content-Length response already read goes out in one write with its head.
      const whole = wholeResponseSize(head);
      const sent = writeResponseHead(this.client, request, head, whole);
      deps.metrics.backendToClient.inc(sent);
      backend.pending = sent < bytes.length ? bytes.subarray(sent) : undefined;
      this.isReplyStarted = true;
      if (head.isInterim) continue; // 100 Continue, 103 Early Hints: the final head follows
      this.final = head;
      // Many of these per minute from one client is a password being guessed.
      if ((head.status === 401 || head.status === 403) && request.hasCredentials) {
        deps.suspicious(this.ctx.remoteIp, 'http.backend-refused-credentials');
      }
      if (head.isSwitchingProtocols) {
        this.tunnel(backend);
        return;
      }
      if (whole > 0 || !this.responseBody.start(head.framing)) {
        this.complete();
        return;
      }
      this.reply = Reply.body;
      this.wait = Wait.idle;
      this.deadline.set(deps.idleTimeoutMs);
      const rest = backend.pending;
      backend.pending = undefined;
      if (rest !== undefined) this.relayResponseBody(backend, rest, 0);
      return;
    }
  }

  private relayResponseBody(backend: Backend, chunk: Buffer, from: number): void {
    const meter = this.responseBody;
    const taken = meter.take(chunk, from);
    if (taken < 0) {
      this.abort(meter.problem);
      return;
    }
    const end = from + taken;
    if (taken > 0) {
      this.deps.metrics.backendToClient.inc(taken);
      const bytes = from === 0 && end === chunk.length ? chunk : chunk.subarray(from, end);
      if (!this.client.write(bytes) && !meter.isDone) backend.socket.pause();
    }
    if (!meter.isDone) {
      this.deadline.set(this.deps.idleTimeoutMs);
      return;
    }
    if (end < chunk.length) backend.pending = chunk.subarray(end);
    this.complete();
  }

  /** The backend sent its FIN or closed. */
  private onBackendGone(backend: Backend): void {
    switch (this.reply) {
      case Reply.head:
        if (this.phase === Phase.exchange) this.noResponse(backend);
        return;
      case Reply.body:
        if (this.responseBody.isUntilClose) this.complete();
        else this.abort('http.backend-closed');
        return;
      case Reply.none:
        this.dropBackend();
        return;
    }
  }

  /** The backend closed before a final response head. */
  private noResponse(backend: Backend): void {
    // A kept connection the backend closed just before our request: once more on a fresh one, when
    // no byte of a body was consumed (RFC 9112 §9.3.1 lets a client retry such a request).
    if (this.mayRetry && !this.isReplyStarted && backend.pending === undefined) {
      this.mayRetry = false;
      this.dropBackend();
      this.forward();
      return;
    }
    if (this.isRequestBodyOpen && this.clientEnded) {
      this.abort('http.client-closed');
      return;
    }
    this.backendFailed(502, 'http.backend-closed');
  }

  /** The final response is complete: what may follow on each connection. */
  private complete(): void {
    const request = this.request;
    const head = this.final;
    if (request === undefined || head === undefined) throw new Error('complete without a response');
    this.reply = Reply.none;
    const untilClose = head.framing.kind === 'close';
    // An early answer (the request body is still arriving): the rest of it is not relayed, and
    // neither connection can carry another request.
    const early = this.isRequestBodyOpen;
    const backend = this.backend;
    if (
      early ||
      backend === undefined ||
      !head.isPersistent ||
      untilClose ||
      backend.ended ||
      backend.pending !== undefined
    ) {
      this.dropBackend();
    } else if (backend.socket.isPaused()) {
      backend.socket.resume(); // so that its FIN or a stray byte is seen while it is kept
    }
    if (early || !request.isPersistent || untilClose || this.clientEnded) {
      this.isRequestBodyOpen = false;
      endWith(this.client, undefined);
      this.end({ outcome: 'routed' });
      return;
    }
    this.phase = Phase.head;
    this.request = undefined;
    this.final = undefined;
    this.wait = Wait.keepAlive;
    this.deadline.set(this.deps.keepAliveTimeoutMs);
    this.flowClient();
    if (this.stash !== undefined) this.nextRequest();
  }

  /** After 101: what the backend sent past its head goes first, then a plain relay both ways. */
  private tunnel(backend: Backend): void {
    const { client } = this;
    this.phase = Phase.tunnel;
    this.deadline.stop();
    client.off('data', this.onClientData);
    client.off('end', this.onClientEnd);
    client.off('close', this.onClientClose);
    client.off('drain', this.onClientDrain);
    backend.detach();
    this.backend = undefined;
    tunnel({
      client,
      backend: backend.socket,
      early: backend.pending,
      initial: this.stash,
      clientEnded: this.clientEnded,
      backendEnded: backend.ended,
      idleTimeoutMs: this.deps.idleTimeoutMs,
      metrics: this.deps.metrics,
    }).then(
      () => {
        this.end({ outcome: 'routed' });
      },
      (error: unknown) => {
        this.fail(error);
      },
    );
    backend.pending = undefined;
    this.stash = undefined;
  }

  // ---- endings ----

  private readonly onDeadline = (): void => {
    this.guard(() => {
      switch (this.wait) {
        case Wait.firstHead:
          if (this.phase === Phase.head) {
            this.refuse('first-message-timeout', 'proxy.first-message-timeout');
          }
          return;
        case Wait.keepAlive:
          // A client that never sends its first request is suspicious; an idle keep-alive is not.
          if (this.phase !== Phase.head) return;
          this.dropBackend();
          endWith(this.client, undefined);
          this.end({ outcome: 'routed', reason: 'http.keep-alive-timeout' });
          return;
        case Wait.response:
          if (this.phase === Phase.exchange && this.reply === Reply.head) {
            this.backendFailed(504, 'http.backend-timeout');
          }
          return;
        case Wait.idle:
          if (this.reply === Reply.body) this.abort('http.idle-timeout');
          return;
      }
    });
  };

  /** A refusal page (or none), the suspicious event, and the end of the connection. */
  private refuse(cause: RefusalCause, reason: string, status = CAUSE_STATUS[cause]): void {
    this.deps.suspicious(this.ctx.remoteIp, reason);
    this.deps.metrics.refusal(cause);
    this.dropBackend();
    endWith(this.client, status === undefined ? undefined : refusal(status));
    this.end({ outcome: this.requests > 0 ? 'routed' : `refused-${cause}`, reason });
  }

  /** The backend failed before a final response head: the client gets a 502 or 504 page. */
  private backendFailed(status: 502 | 504, reason: string): void {
    this.deps.metrics.refusal(status === 504 ? 'backend-timeout' : 'backend-unavailable');
    this.dropBackend();
    endWith(this.client, refusal(status));
    this.end({ outcome: 'routed', reason });
  }

  /** A side failed mid-exchange: both connections are closed at once. */
  private abort(reason: string): void {
    this.dropBackend();
    this.client.destroy();
    this.end({ outcome: 'routed', reason });
  }

  private dropBackend(): void {
    const backend = this.backend;
    if (backend === undefined) return;
    this.backend = undefined;
    backend.detach();
    backend.socket.destroy();
  }

  private end(report: Omit<SessionReport, 'requests'>): void {
    if (this.phase === Phase.done) return;
    this.phase = Phase.done;
    this.reply = Reply.none;
    this.deadline.stop();
    this.dropBackend();
    const last = {
      ...(this.service === undefined ? {} : { service: this.service }),
      ...(this.targetName === undefined ? {} : { target: this.targetName }),
    };
    this.resolve({ ...last, ...report, requests: this.requests });
  }

  /** A bug in a handler costs this connection only: both sides closed, the session rejected. */
  private fail(error: unknown): void {
    if (this.phase === Phase.done) return;
    this.phase = Phase.done;
    this.deadline.stop();
    this.dropBackend();
    this.client.destroy();
    this.reject(error);
  }

  private guard(step: () => void): void {
    if (this.phase === Phase.done) return;
    try {
      step();
    } catch (error) {
      this.fail(error);
    }
  }

  /** guard() for the per-chunk handlers: the step is made once, no closure per chunk. */
  private guardEach(step: (chunk: Buffer) => void, chunk: Buffer): void {
    if (this.phase === Phase.done) return;
    try {
      step(chunk);
    } catch (error) {
      this.fail(error);
    }
  }
}

/** Still open, and nothing came from the backend since its last response. */
function isIdle(backend: Backend): boolean {
  return !backend.socket.destroyed && !backend.ended && backend.pending === undefined;
}

function ignore(): void {
  // Failures surface as 'close', where the session waits for them.
}
