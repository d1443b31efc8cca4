// H.323 on the ProxyProtocol contract (src/proxy/protocol.ts): the first message routes by the
// gatekeeper identifier of an H.460.17 tunnelled GRQ/RRQ, or by the called domain of a SETUP; a
// watcher holds later registrations to the routed service and counts security rejections.

import type { ProxyProtocol } from '../protocol.ts';
import { type H323ProtocolOptions, resolveH323Limits } from './limits.ts';
import { sniffH323 } from './sniff.ts';
import { createH323Watcher } from './watch.ts';

export type { H323ProtocolOptions } from './limits.ts';

/** H.323 always has a watcher. */
export type H323Protocol = ProxyProtocol & Required<Pick<ProxyProtocol, 'createWatcher'>>;

export function createH323Protocol(options: H323ProtocolOptions = {}): H323Protocol {
  const limits = resolveH323Limits(options);
  return {
    kind: 'h323',
    sniff: (bytes) => sniffH323(bytes, limits),
    // H.323 has no answer that helps here: a tunnelled GRJ/RRJ would need the client's request
    // and tokens a proxy does not have, and a RELEASE COMPLETE ends a call, not a connection. The
    // connection is closed; the endpoint retries with its next gatekeeper address.
    refuse: () => undefined,
    createWatcher: (ctx) => createH323Watcher(ctx, limits),
  };
}
