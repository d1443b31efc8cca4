// LDAP's first message (protocols.md §4): a simple bind routes by the domain in its name, StartTLS
// is answered here and the stream sniffed again inside TLS, everything else is refused.

import type { SniffResult } from '../protocol.ts';
import { inspectRequest } from './inspect.ts';
import type { LdapLimits } from './limits.ts';
import { decodeLdapHead, frameLdapMessage } from './message.ts';
import { LdapOp } from './ops.ts';
import { encodeStartTlsResponse } from './responses.ts';

function reject(reason: string): SniffResult {
  return { kind: 'reject', reason };
}

/**
 * Before the message is whole: a head that is already malformed, or an operation that must not
 * come first, needs no more bytes.
 */
function sniffPrefix(bytes: Uint8Array): SniffResult {
  const head = decodeLdapHead(bytes);
  if (head.kind === 'incomplete') return { kind: 'need-more' };
  if (head.kind === 'malformed') return reject(head.reason);
  const { op } = head.value;
  return op === LdapOp.bindRequest || op === LdapOp.extendedRequest
    ? { kind: 'need-more' }
    : reject('ldap.no-bind-first');
}

/**
 * `size` is the first LDAPMessage's. A StartTLS is answered whatever follows it; the pipeline
 * refuses it when bytes came after it or TLS is already up (RFC 4511 §4.14.1).
 */
export function sniffLdap(bytes: Uint8Array, limits: LdapLimits): SniffResult {
  const frame = frameLdapMessage(bytes, limits.maxMessageBytes);
  if (frame.kind === 'incomplete') return sniffPrefix(bytes);
  if (frame.kind === 'malformed') return reject(frame.reason);
  const head = frame.value;
  const seen = inspectRequest(bytes.subarray(0, head.size), head, limits.maxBindNameBytes);
  switch (seen.kind) {
    case 'bind':
      return { kind: 'route', services: [seen.domain], identity: seen.identity, size: head.size };
    case 'starttls':
      return { kind: 'starttls', reply: encodeStartTlsResponse(head.messageId), size: head.size };
    case 'other':
      // LDAPv3 allows operations before a bind (a rootDSE search), but they name no service.
      return reject('ldap.no-bind-first');
    case 'refuse':
      return reject(seen.reason);
  }
}
