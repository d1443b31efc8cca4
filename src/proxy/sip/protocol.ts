// SIP over TCP and TLS as a ProxyProtocol (src/proxy/protocol.ts): the sniffer routes the first
// request by its From domain, refusals are SIP responses built from the refused request, and the
// watcher keeps later requests on the routed service and reports rejected REGISTERs.

import { randomBytes } from 'node:crypto';
import type { ProxyProtocol, RefusalCause } from '../protocol.ts';
import type { SipHead } from './head.ts';
import { type SipLimits, defaultSipLimits } from './problem.ts';
import { buildSipRefusal, readRefusedHead, statusForCause } from './refuse.ts';
import { sniffSipRequest } from './sniff.ts';
import { createSipWatcher } from './watch.ts';

export interface SipProtocolOptions {
  readonly limits?: Partial<SipLimits>;
  /** The To tag of the gateway's responses (RFC 3261 §19.3: at least 32 random bits). */
  readonly newTag?: () => string;
}

function randomTag(): string {
  return randomBytes(8).toString('hex');
}

export function createSipProtocol(options: SipProtocolOptions = {}): ProxyProtocol {
  const limits: SipLimits = { ...defaultSipLimits, ...options.limits };
  const newTag = options.newTag ?? randomTag;
  const answer = (head: SipHead, cause: RefusalCause): Uint8Array | undefined =>
    buildSipRefusal(head, statusForCause(cause), newTag());

  const refuse = (message: Uint8Array | undefined, cause: RefusalCause): Uint8Array | undefined => {
    const head = message === undefined ? undefined : readRefusedHead(message, limits);
    return head === undefined ? undefined : answer(head, cause);
  };

  return {
    kind: 'sip',
    sniff: (bytes) => sniffSipRequest(bytes, limits),
    refuse,
    createWatcher: (ctx) => createSipWatcher(ctx, { limits, answer }),
  };
}
