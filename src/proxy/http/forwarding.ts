// The tail of every rewritten head: our X-Forwarded-For, Forwarded (RFC 7239), X-Forwarded-Proto and
// Connection fields and the empty line. Every request of a connection gets the same tail, so the
// last one is kept as bytes and reused when nothing it depends on changed.

import type { RequestHead } from './request-head.ts';

export interface ForwardingContext {
  /** The client's address as the socket reports it; `::ffff:a.b.c.d` is written as `a.b.c.d`. */
  readonly clientIp: string;
  /** The client connection is TLS (proto=https). */
  readonly isTls: boolean;
  /**
   * The client is a configured trusted proxy: its X-Forwarded-For and Forwarded are extended with
   * our hop, and its X-Forwarded-Proto, X-Forwarded-Host and X-Real-IP are kept. Otherwise all five
   * are dropped and only ours are sent.
   */
  readonly trustedProxy: boolean;
}

/** What the tail depends on besides the client, the proto and the Host bytes. */
export interface TailShape {
  /** Values of a trusted proxy's X-Forwarded-For and Forwarded fields ('' when none). */
  readonly priorFor: string;
  readonly priorForwarded: string;
  /** A trusted proxy's X-Forwarded-Proto is kept, so we add none. */
  readonly keepsProto: boolean;
  /** TE: trailers is kept, so Connection lists TE (RFC 9110 §10.1.4). */
  readonly keepsTe: boolean;
}

const cache = {
  clientIp: '',
  flags: -1,
  host: Buffer.alloc(255),
  hostLength: -1,
  tail: Buffer.alloc(0),
};

/** Appends `value` to a comma-separated list being built (trusted proxies' values). */
export function appendTo(list: string, value: string): string {
  return list === '' ? value : `${list}, ${value}`;
}

function clientAddress(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

function build(head: RequestHead, context: ForwardingContext, shape: TailShape): string {
  const ip = clientAddress(context.clientIp);
  const proto = context.isTls ? 'https' : 'http';
  // RFC 7239 §6: an IPv6 node is bracketed and quoted; host= is quoted when it holds ":".
  let forwarded = `for=${ip.includes(':') ? `"[${ip}]"` : ip};proto=${proto}`;
  let text = '';
  if (head.hostStart >= 0) {
    const host = head.bytes.toString('latin1', head.hostStart, head.hostEnd);
    forwarded += host.includes(':') ? `;host="${host}"` : `;host=${host}`;
    // An HTTP/1.0 absolute-form request may come without Host; the backend still gets one.
    if (!head.hasHostField) text += `Host: ${host}\r\n`;
  }
  text += `X-Forwarded-For: ${appendTo(shape.priorFor, ip)}\r\n`;
  text += `Forwarded: ${appendTo(shape.priorForwarded, forwarded)}\r\n`;
  if (!shape.keepsProto) text += `X-Forwarded-Proto: ${proto}\r\n`;
  const te = shape.keepsTe ? ', TE' : '';
  return head.isWebSocketUpgrade
    ? `${text}Connection: Upgrade${te}\r\nUpgrade: websocket\r\n\r\n`
    : `${text}Connection: keep-alive${te}\r\n\r\n`;
}

function flagsOf(head: RequestHead, context: ForwardingContext, shape: TailShape): number {
  return (
    (context.isTls ? 1 : 0) |
    (shape.keepsProto ? 2 : 0) |
    (shape.keepsTe ? 4 : 0) |
    (head.isWebSocketUpgrade ? 8 : 0) |
    (head.hasHostField ? 16 : 0) |
    (head.hostStart >= 0 ? 32 : 0)
  );
}

function isSameHost(head: RequestHead): boolean {
  const length = head.hostStart < 0 ? 0 : head.hostEnd - head.hostStart;
  if (length !== cache.hostLength) return false;
  for (let i = 0; i < length; i++) {
    if (head.bytes[head.hostStart + i] !== cache.host[i]) return false;
  }
  return true;
}

/** The tail's bytes; shared with later calls, so the caller copies them and never writes into them. */
export function forwardingTail(
  head: RequestHead,
  context: ForwardingContext,
  shape: TailShape,
): Buffer {
  const flags = flagsOf(head, context, shape);
  const isCacheable = shape.priorFor === '' && shape.priorForwarded === '';
  if (
    isCacheable &&
    cache.clientIp === context.clientIp &&
    cache.flags === flags &&
    isSameHost(head)
  ) {
    return cache.tail;
  }
  const tail = Buffer.from(build(head, context, shape), 'latin1');
  const hostLength = head.hostStart < 0 ? 0 : head.hostEnd - head.hostStart;
  if (isCacheable && hostLength <= cache.host.length) {
    cache.clientIp = context.clientIp;
    cache.flags = flags;
    cache.hostLength = hostLength;
    if (hostLength > 0) head.bytes.copy(cache.host, 0, head.hostStart, head.hostEnd);
    cache.tail = tail;
  }
  return tail;
}
