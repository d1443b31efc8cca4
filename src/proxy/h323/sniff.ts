// H.323's first message (protocols.md §2): one TPKT holding a Q.931 FACILITY with H.460.17
// tunnelled RAS (routes by gatekeeper identifier) or a SETUP (routes by the called domain).
// Keep-alive TPKTs before it are skipped; a prefix that already cannot route is refused at once.

import type { SniffResult } from '../protocol.ts';
import type { H323Limits } from './limits.ts';
import { decodeQ931Header } from './q931.ts';
import { mayComeFirst, routeMessage } from './route.ts';
import { TPKT_HEADER, frameTpkt } from './tpkt.ts';

/** Empty TPKTs tolerated before the first message (keep-alives, protocols.md §2.1). */
const MAX_KEEP_ALIVES = 4;

const NEED_MORE: SniffResult = { kind: 'need-more' };

function reject(reason: string): SniffResult {
  return { kind: 'reject', reason };
}

/** A partial TPKT whose Q.931 header is already there: refused when it cannot come first. */
function sniffPrefix(prefix: Uint8Array): SniffResult {
  const header = decodeQ931Header(prefix.subarray(TPKT_HEADER));
  if (header.kind === 'incomplete') return NEED_MORE;
  if (header.kind === 'malformed') return reject(header.reason);
  return mayComeFirst(header.value.messageType) ? NEED_MORE : reject('h323.unexpected-message');
}

export function sniffH323(bytes: Uint8Array, limits: H323Limits): SniffResult {
  let at = 0;
  for (let keepAlives = 0; ; keepAlives++) {
    const rest = bytes.subarray(at);
    const frame = frameTpkt(rest, limits.maxFirstMessageBytes);
    if (frame.kind === 'incomplete')
      return rest.length > TPKT_HEADER ? sniffPrefix(rest) : NEED_MORE;
    if (frame.kind === 'malformed') return reject(frame.reason);
    at += frame.size;
    if (frame.value.payload.length > 0) {
      const route = routeMessage(frame.value.payload, limits);
      return route.kind === 'reject' ? route : { ...route, size: at };
    }
    if (keepAlives >= MAX_KEEP_ALIVES) return reject('h323.keep-alive-first');
  }
}
