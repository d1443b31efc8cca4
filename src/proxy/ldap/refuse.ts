// LDAP's refusals (ARCHITECTURE.md: "LDAP BindResponse with a result code"): the response type of
// the refused request under its messageID, a resultCode that says why, a fixed diagnosticMessage
// (request bytes are never echoed); a Notice of Disconnection when no messageID can be read.

import type { RefusalCause, SniffResult } from '../protocol.ts';
import type { LdapLimits } from './limits.ts';
import { decodeLdapHead } from './message.ts';
import { ResultCode, responseOpFor } from './ops.ts';
import { encodeLdapResult, encodeNoticeOfDisconnection } from './responses.ts';
import { sniffLdap } from './sniff.ts';

export interface RefusedRequest {
  /** The refused request's messageID and protocolOp; undefined when they could not be read. */
  readonly request: { readonly messageId: number; readonly op: number } | undefined;
  /** The sniffer's or watcher's reason: it refines the cause 'malformed'. */
  readonly reason: string | undefined;
}

/** Every reason a request is refused as 'malformed', when protocolError is not the best answer. */
const REASON_CODES: ReadonlyMap<string, ResultCode> = new Map<string, ResultCode>([
  // §4.1.9: "the server requires the client that had attempted to bind anonymously or without
  // supplying credentials to provide some form of credentials".
  ['ldap.anonymous-bind', ResultCode.inappropriateAuthentication],
  ['ldap.unauthenticated-bind', ResultCode.inappropriateAuthentication],
  // Only simple binds carry a routable name.
  ['ldap.sasl-bind', ResultCode.authMethodNotSupported],
  ['ldap.sicily-bind', ResultCode.authMethodNotSupported],
  ['ldap.unknown-authentication', ResultCode.authMethodNotSupported],
  ['ldap.invalid-dn', ResultCode.invalidDnSyntax],
  // A name without a domain names no service: answered like an unknown one.
  ['ldap.no-domain', ResultCode.unwillingToPerform],
  ['ldap.too-large', ResultCode.adminLimitExceeded],
  ['ldap.bind-name-too-long', ResultCode.adminLimitExceeded],
  // "not properly sequenced with relation to other operations"; AD answers an operation that
  // needs a bind the same way.
  ['ldap.no-bind-first', ResultCode.operationsError],
  // The pipeline refused a StartTLS (no certificate, TLS already up, bytes after it): §4.14.2
  // suggests unavailable for "the TLS subsystem is not presently available".
  ['ldap.starttls-refused', ResultCode.unavailable],
]);

/**
 * The resultCode for a refusal. An unknown service gets unwillingToPerform, not noSuchObject (which
 * claims the entry does not exist, RFC 4513 §6.3.1 warns against disclosing that) nor
 * invalidCredentials (the password was never checked, and 49 is what the watcher counts against
 * a client); a client the service's allow-list excludes gets insufficientAccessRights.
 */
export function resultCodeFor(cause: RefusalCause, reason: string | undefined): ResultCode {
  switch (cause) {
    case 'malformed':
      return (
        (reason === undefined ? undefined : REASON_CODES.get(reason)) ?? ResultCode.protocolError
      );
    case 'unknown-service':
      return ResultCode.unwillingToPerform;
    case 'forbidden':
      return ResultCode.insufficientAccessRights;
    case 'backend-unavailable':
    case 'backend-timeout':
      return ResultCode.unavailable; // "a subsystem necessary to complete the operation is offline"
    case 'too-large':
      return ResultCode.adminLimitExceeded;
    case 'first-message-timeout':
      return ResultCode.protocolError; // the request never arrived whole
  }
}

const DIAGNOSTICS: Readonly<Record<ResultCode, string>> = {
  [ResultCode.success]: '',
  [ResultCode.operationsError]: 'bind required first',
  [ResultCode.protocolError]: 'protocol error',
  [ResultCode.authMethodNotSupported]: 'authentication method not supported',
  [ResultCode.adminLimitExceeded]: 'request too large',
  [ResultCode.saslBindInProgress]: '',
  [ResultCode.invalidDnSyntax]: 'invalid bind name',
  [ResultCode.inappropriateAuthentication]: 'credentials required',
  [ResultCode.invalidCredentials]: 'invalid credentials',
  [ResultCode.insufficientAccessRights]: 'access denied',
  [ResultCode.unavailable]: 'service unavailable',
  [ResultCode.unwillingToPerform]: 'no service for this name',
};

/** §4.4.1 names protocolError, strongerAuthRequired and unavailable for the notice. */
function noticeOfDisconnection(cause: RefusalCause): Uint8Array {
  const code =
    cause === 'backend-unavailable' || cause === 'backend-timeout'
      ? ResultCode.unavailable
      : ResultCode.protocolError;
  return encodeNoticeOfDisconnection(code, DIAGNOSTICS[code]);
}

/** The answer to a refused request whose messageID and op are known (or known to be unreadable). */
export function answerRefusal(
  refused: RefusedRequest,
  cause: RefusalCause,
): Uint8Array | undefined {
  const { request } = refused;
  if (request === undefined) {
    return cause === 'first-message-timeout' ? undefined : noticeOfDisconnection(cause);
  }
  const response = responseOpFor(request.op);
  if (response === 'none') return undefined; // Unbind and Abandon have no response
  if (response === undefined) return noticeOfDisconnection(cause); // not a request at all
  const code = resultCodeFor(cause, refused.reason);
  return encodeLdapResult(request.messageId, response, code, DIAGNOSTICS[code]);
}

function reasonOf(result: SniffResult): string | undefined {
  if (result.kind === 'reject') return result.reason;
  return result.kind === 'starttls' ? 'ldap.starttls-refused' : undefined;
}

/**
 * The refusal of the message at the start of `message` (whole or its first bytes). A client whose
 * bytes are not a BER SEQUENCE did not speak LDAP and gets no LDAP answer.
 */
export function refuseLdap(
  message: Uint8Array | undefined,
  cause: RefusalCause,
  limits: LdapLimits,
): Uint8Array | undefined {
  if (message === undefined || message[0] !== 0x30) return undefined;
  const head = decodeLdapHead(message);
  const request =
    head.kind === 'ok' ? { messageId: head.value.messageId, op: head.value.op } : undefined;
  // The pipeline says 'malformed' for every sniffer reject; the sniffer says which one again.
  const reason = cause === 'malformed' ? reasonOf(sniffLdap(message, limits)) : undefined;
  return answerRefusal({ request, reason }, cause);
}
