// Watches a relayed LDAP connection (ARCHITECTURE.md "relay"): every later bind must name the routed
// service's domain, a rejected password (resultCode 49) is a suspicious event, matched by messageID.

import type { WatchContext, WatchVerdict, Watcher } from '../protocol.ts';
import { readResultCode } from './bind.ts';
import { normalizeDomain } from './bind-name.ts';
import { inspectRequest } from './inspect.ts';
import { BIND_HEAD_MARGIN, type LdapLimits } from './limits.ts';
import { decodeLdapHead } from './message.ts';
import { LdapOp, ResultCode } from './ops.ts';
import { type RefusedRequest, answerRefusal } from './refuse.ts';
import { createMessageSplitter } from './splitter.ts';

/** Compliant clients wait for each BindResponse (RFC 4511 §4.2.1); a few more are tolerated. */
const MAX_OUTSTANDING_BINDS = 8;
/** Enough for a response's head and resultCode: ≤ 6 + 10 + 6 + 10 octets. */
const SERVER_WINDOW = 64;

type Refusal = Exclude<WatchVerdict, 'pass'>;

interface Judged {
  readonly verdict: Refusal;
  readonly refused: RefusedRequest;
}

function judge(
  reason: string,
  refuse: Refusal['refuse'],
  request?: RefusedRequest['request'],
): Judged {
  return { verdict: { refuse, reason }, refused: { request, reason } };
}

/**
 * A later message is held to the first one's rules: a bind must be a simple bind naming the
 * service's domain; StartTLS through the relay is refused, since TLS end-to-end would hide every
 * later bind from the watcher. Bytes that are not LDAP are refused rather than passed unwatched:
 * a server that reads them differently could see a bind the watcher did not.
 */
function createRequestJudge(
  service: string,
  limits: LdapLimits,
  binds: Set<number>,
): (prefix: Uint8Array) => Judged | undefined {
  return (prefix) => {
    const head = decodeLdapHead(prefix);
    if (head.kind !== 'ok') return judge('ldap.malformed', 'malformed');
    const { messageId, op } = head.value;
    const request = { messageId, op };
    const seen = inspectRequest(prefix, head.value, limits.maxBindNameBytes);
    switch (seen.kind) {
      case 'bind':
        if (seen.domain !== service) return judge('ldap.other-domain', 'forbidden', request);
        if (binds.size >= MAX_OUTSTANDING_BINDS) binds.delete(binds.values().next().value ?? 0);
        binds.add(messageId);
        return undefined;
      case 'starttls':
        return judge('ldap.late-starttls', 'forbidden', request);
      case 'refuse':
        return judge(seen.reason, 'malformed', request);
      case 'other':
        return undefined;
    }
  };
}

/** A BindResponse to a bind of this client: 49 is suspicious; 14 (SASL in progress) keeps it open. */
function createResponseReader(
  ctx: WatchContext,
  binds: Set<number>,
): (prefix: Uint8Array) => boolean {
  return (prefix) => {
    const head = decodeLdapHead(prefix);
    if (head.kind !== 'ok') return false; // not LDAP after all: stop reading the server
    const { messageId, op } = head.value;
    if (op !== LdapOp.bindResponse || !binds.has(messageId)) return true;
    const code = readResultCode(prefix, head.value);
    if (code.kind !== 'ok' || code.value !== ResultCode.saslBindInProgress) binds.delete(messageId);
    if (code.kind === 'ok' && code.value === ResultCode.invalidCredentials) {
      ctx.suspicious('ldap.invalid-credentials');
    }
    return true;
  };
}

export function createLdapWatcher(ctx: WatchContext, limits: LdapLimits): Watcher {
  const binds = new Set<number>(); // messageIDs of binds not yet answered, oldest first
  const judgeRequest = createRequestJudge(normalizeDomain(ctx.service), limits, binds);
  const readResponse = createResponseReader(ctx, binds);
  const client = createMessageSplitter(limits.maxBindNameBytes + BIND_HEAD_MARGIN);
  const server = createMessageSplitter(SERVER_WINDOW);
  let serverWatched = true;
  let refusal: Judged | undefined; // once refused, the client stays refused
  return {
    fromClient(chunk) {
      const split =
        refusal === undefined
          ? client.push(chunk, (prefix) => {
              refusal = judgeRequest(prefix);
              return refusal === undefined;
            })
          : 'stopped';
      if (split === 'not-ber') refusal ??= judge('ldap.malformed', 'malformed');
      if (refusal === undefined) return 'pass';
      return { ...refusal.verdict, answer: answerRefusal(refusal.refused, refusal.verdict.refuse) };
    },
    fromServer(chunk) {
      // A server that stops speaking BER (TLS end-to-end, a misconfigured backend) is not watched.
      if (serverWatched) serverWatched = server.push(chunk, readResponse) === 'ok';
    },
  };
}
