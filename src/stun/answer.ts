// One STUN message in, one answer (or a reasoned silence) out: validation and method dispatch, sans-I/O.

import { Attr, ErrorCode, StunClass, StunMethod } from './constants.ts';
import { type AttributeValue, encodeStunMessage } from './encode.ts';
import { checkFingerprint } from './fingerprint.ts';
import { stunType } from './header.ts';
import { type StunMessage, type StunProblem, decodeStunMessage } from './message.ts';
import { type BindingAnswer, type BindingContext, answerBinding } from './binding.ts';
import { writeErrorCode } from './attributes/error-code.ts';

export type StunDropReason =
  | StunProblem
  | 'stun.truncated'
  | 'stun.too-large'
  | 'stun.trailing-bytes'
  | 'stun.bad-fingerprint'
  | 'stun.not-a-request';

export type StunAnswer = BindingAnswer | { readonly kind: 'drop'; readonly reason: StunDropReason };

/** Reasons that are a normal part of traffic, not a sign of a bad client (answers and indications). */
export function isBenignDrop(reason: StunDropReason): boolean {
  return reason === 'stun.not-a-request';
}

/** Answers one whole datagram (UDP) or one framed message (TCP/TLS). */
export function answerStun(bytes: Uint8Array, context: BindingContext): StunAnswer {
  const decoded = decodeStunMessage(bytes);
  if (decoded.kind === 'incomplete') return { kind: 'drop', reason: 'stun.truncated' };
  if (decoded.kind === 'malformed') return { kind: 'drop', reason: decoded.reason };
  const message = decoded.value;
  if (decoded.size !== bytes.length) return { kind: 'drop', reason: 'stun.trailing-bytes' };
  // RFC 8489 §7.3: a message whose FINGERPRINT does not verify is not STUN: discard it silently.
  if (message.hasCookie && checkFingerprint(message) === 'invalid') {
    return { kind: 'drop', reason: 'stun.bad-fingerprint' };
  }
  // RFC 8489 §6.3: indications and answers get no answer.
  if (message.class !== StunClass.request) return { kind: 'drop', reason: 'stun.not-a-request' };
  if (message.method === StunMethod.binding) {
    return answerBinding(message, context);
  }
  return unsupportedMethod(message, context);
}

/** RFC 8489 §6.3.1: a request for a method the server does not know gets 400. */
function unsupportedMethod(request: StunMessage, context: BindingContext): BindingAnswer {
  const attributes: AttributeValue[] = [
    { type: Attr.errorCode, value: writeErrorCode(ErrorCode.badRequest) },
  ];
  if (context.software) attributes.push({ type: Attr.software, value: context.software });
  return {
    bytes: encodeStunMessage({
      type: stunType(request.method, StunClass.error),
      transactionId: request.transactionId,
      attributes,
      fingerprint: request.hasCookie && request.attributes.at(-1)?.type === Attr.fingerprint,
    }),
    kind: 'send',
    method: request.method,
    outcome: 'bad-request',
    changeIp: false,
    changePort: false,
    port: context.source.port,
  };
}
