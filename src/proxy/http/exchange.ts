// One request and its response over an open backend connection: the rewritten head, the request
// body by its framing, interim responses, the final response head and its body, or a WebSocket
// tunnel after 101. The session decides what happens to both connections afterwards.
import type { Suspicious } from '../../fraud/suspicious.ts';
import type { ListenerMetrics } from '../metrics.ts';
import { relay } from '../relay.ts';
import type { ChunkedFramer } from './chunked.ts';
import { noBody } from './framing.ts';
import { type BodyEnd, type HeadRead, type Inbox, pipeBody, readHead } from './inbox.ts';
import type { HeadLimits, HttpProblem, HttpResponseProblem } from './problem.ts';
import type { RequestHead } from './request-head.ts';
import { type ResponseHead, decodeResponseHead } from './response-head.ts';
import { closesClient, closingResponseHead } from './closing-head.ts';

export interface ExchangeDeps {
  readonly limits: HeadLimits;
  /** How long the backend may take to start its response. */
  readonly responseTimeoutMs: number;
  /** A tunnel after 101 idle this long is closed. */
  readonly idleTimeoutMs: number;
  readonly suspicious: Suspicious;
  readonly metrics: ListenerMetrics;
}

export interface ExchangeSides {
  readonly remoteIp: string;
  readonly client: Inbox;
  readonly backend: Inbox;
  readonly requestFramer: ChunkedFramer;
  readonly responseFramer: ChunkedFramer;
}

export type ExchangeEnd =
  /** The response is complete; `isClientReusable` / `isBackendReusable` say what may follow. */
  | {
      readonly kind: 'complete';
      readonly status: number;
      readonly isClientReusable: boolean;
      readonly isBackendReusable: boolean;
    }
  /** Nothing was sent to the client yet: the session answers with a refusal page. */
  | {
      readonly kind: 'refuse';
      readonly status: 400 | 502 | 504;
      readonly reason:
        HttpProblem | 'http.backend-closed' | 'http.backend-timeout' | 'http.unexpected-101';
      /** The client's fault (a malformed request body), counted as suspicious. */
      readonly isClientFault: boolean;
    }
  /** A side failed mid-response (or the tunnel ended): both connections are closed. */
  | { readonly kind: 'aborted'; readonly reason: string }
  | { readonly kind: 'tunnelled' };

/** Sends `head` (already rewritten as `out`) and its body, and relays the response. */
export async function exchange(
  request: RequestHead,
  out: Buffer,
  sides: ExchangeSides,
  deps: ExchangeDeps,
): Promise<ExchangeEnd> {
  const { client, backend } = sides;
  deps.metrics.clientToBackend.inc(out.length);
  backend.socket.write(out);
  let requestEnd: BodyEnd | undefined;
  const sent = pipeBody(client, backend.socket, {
    framing: request.framing,
    framer: sides.requestFramer,
    count: (n) => {
      deps.metrics.clientToBackend.inc(n);
    },
  }).then((end) => {
    requestEnd = end;
    // A request that cannot be completed must not reach the backend as half a request.
    if (end.kind !== 'done') backend.socket.destroy();
    return end;
  });
  const response = await relayResponse(request, sides, deps, () => requestEnd);
  if (response.kind !== 'complete') {
    if (requestEnd === undefined) backend.socket.destroy();
    return response;
  }
  // The response is complete while the request body is still arriving (an early answer): the rest
  // of it is not relayed, and neither connection can carry another request.
  if (requestEnd === undefined) {
    backend.socket.destroy();
    return { ...response, isClientReusable: false, isBackendReusable: false };
  }
  await sent;
  return response;
}

type RequestState = () => BodyEnd | undefined;

function refusalFor(
  requestEnd: BodyEnd | undefined,
  fallback: ExchangeEnd & { kind: 'refuse' },
): ExchangeEnd {
  if (requestEnd?.kind === 'malformed') {
    return { kind: 'refuse', status: 400, reason: requestEnd.reason, isClientFault: true };
  }
  if (requestEnd?.kind === 'closed') return { kind: 'aborted', reason: 'http.client-closed' };
  return fallback;
}

async function relayResponse(
  request: RequestHead,
  sides: ExchangeSides,
  deps: ExchangeDeps,
  requestState: RequestState,
): Promise<ExchangeEnd> {
  const { client, backend } = sides;
  const decode = (bytes: Buffer): ReturnType<typeof decodeResponseHead> =>
    decodeResponseHead(bytes, request.method, deps.limits);
  for (;;) {
    const read = await readHead(backend, decode, deps.responseTimeoutMs);
    if (client.socket.destroyed) return { kind: 'aborted', reason: 'http.client-closed' };
    if (read.kind !== 'ok') return headFailure(read, requestState());
    const head = read.value;
    if (head.isSwitchingProtocols && !request.isWebSocketUpgrade) {
      return { kind: 'refuse', status: 502, reason: 'http.unexpected-101', isClientFault: false };
    }
    // A whole Content-Length response already read goes out in one write with its head.
    const whole = wholeResponseSize(head);
    const sent = whole > 0 ? whole : head.size;
    deps.metrics.backendToClient.inc(sent);
    if (!head.isInterim && !head.isSwitchingProtocols && closesClient(request, head)) {
      client.socket.write(closingResponseHead(head));
      if (sent > head.size) client.socket.write(head.bytes.subarray(head.size, sent));
    } else {
      client.socket.write(head.bytes.subarray(0, sent));
    }
    if (whole > 0)
      backend.pending = whole < head.bytes.length ? head.bytes.subarray(whole) : undefined;
    if (head.isInterim) continue; // 100 Continue, 103 Early Hints: the final head follows
    return relayFinal(request, head, whole > 0, sides, deps);
  }
}

/** Head and body size when the head is followed by its whole Content-Length body; else 0. */
function wholeResponseSize(head: ResponseHead): number {
  if (head.framing.kind !== 'length') return 0;
  const size = head.size + head.framing.length;
  return head.bytes.length >= size ? size : 0;
}

/** The final response's body (unless `isBodySent`) or the tunnel after 101, its head already sent. */
async function relayFinal(
  request: RequestHead,
  head: ResponseHead,
  isBodySent: boolean,
  sides: ExchangeSides,
  deps: ExchangeDeps,
): Promise<ExchangeEnd> {
  // Many of these per minute from one client is a password being guessed.
  if ((head.status === 401 || head.status === 403) && request.hasCredentials) {
    deps.suspicious(sides.remoteIp, 'http.backend-refused-credentials');
  }
  if (head.isSwitchingProtocols) return tunnel(sides, deps);
  const end = await pipeBody(sides.backend, sides.client.socket, {
    framing: isBodySent ? noBody : head.framing,
    framer: sides.responseFramer,
    count: (n) => {
      deps.metrics.backendToClient.inc(n);
    },
  });
  if (end.kind !== 'done') return { kind: 'aborted', reason: abortReason(end) };
  const untilClose = head.framing.kind === 'close';
  return {
    kind: 'complete',
    status: head.status,
    isClientReusable: request.isPersistent && !untilClose,
    isBackendReusable: head.isPersistent && !untilClose,
  };
}

function headFailure(
  read: Exclude<HeadRead<unknown, HttpResponseProblem>, { kind: 'ok' }>,
  requestEnd: BodyEnd | undefined,
): ExchangeEnd {
  switch (read.kind) {
    case 'timeout':
      return refusalFor(requestEnd, {
        kind: 'refuse',
        status: 504,
        reason: 'http.backend-timeout',
        isClientFault: false,
      });
    case 'closed':
      return refusalFor(requestEnd, {
        kind: 'refuse',
        status: 502,
        reason: 'http.backend-closed',
        isClientFault: false,
      });
    case 'malformed':
      return { kind: 'refuse', status: 502, reason: read.reason, isClientFault: false };
  }
}

function abortReason(end: Exclude<BodyEnd, { kind: 'done' }>): string {
  switch (end.kind) {
    case 'closed':
      return 'http.backend-closed';
    case 'target-closed':
      return 'http.client-closed';
    case 'malformed':
      return end.reason;
  }
}

/** After 101: what the backend sent past its head goes first, then a plain relay both ways. */
async function tunnel(sides: ExchangeSides, deps: ExchangeDeps): Promise<ExchangeEnd> {
  const { client, backend } = sides;
  client.detach();
  backend.detach();
  const early = backend.pending;
  backend.pending = undefined;
  if (early !== undefined) {
    deps.metrics.backendToClient.inc(early.length);
    client.socket.write(early);
  }
  const initial = client.pending ?? Buffer.alloc(0);
  client.pending = undefined;
  if (backend.ended) client.socket.end();
  deps.metrics.relaying.inc();
  try {
    const relayed = relay(client.socket, backend.socket, {
      initial,
      clientEnded: client.ended,
      idleTimeoutMs: deps.idleTimeoutMs,
      watcher: undefined,
      countClientBytes: (n) => {
        deps.metrics.clientToBackend.inc(n);
      },
      countBackendBytes: (n) => {
        deps.metrics.backendToClient.inc(n);
      },
    });
    // The relay listens for data but only resumes the client; detach() paused the backend.
    backend.socket.resume();
    await relayed;
  } finally {
    deps.metrics.relaying.dec();
  }
  return { kind: 'tunnelled' };
}
