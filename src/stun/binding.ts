// Binding request handling, sans-I/O (RFC 8489 §6.3, RFC 5780 §6.1, RFC 3489 §8.2): message + context -> answer.

import { Attr, ErrorCode, StunClass, StunMethod } from './constants.ts';
import { type AttributeValue, encodeStunMessage } from './encode.ts';
import { stunType } from './header.ts';
import { type StunMessage, attributeValue, findAttribute } from './message.ts';
import { type TransportAddress, writeAddress, writeXorAddress } from './attributes/address.ts';
import { readChangeRequest } from './attributes/change-request.ts';
import { writeErrorCode } from './attributes/error-code.ts';
import { readPort } from './attributes/scalar.ts';
import { unknownRequiredAttributes, writeUnknownAttributes } from './attributes/unknown.ts';

export type StunTransport = 'udp' | 'tcp' | 'tls';

/** The 2 addresses x 2 ports of an RFC 5780 server, seen from the socket that received the request. */
export interface AlternateSet {
  /** The address a response leaves from for these change flags (RFC 5780 §7.2). */
  originFor(changeIp: boolean, changePort: boolean): TransportAddress;
}

export interface BindingContext {
  readonly transport: StunTransport;
  /** The client's address as the socket saw it (the mapped address). */
  readonly source: TransportAddress;
  /** The receiving socket's own address, when it is bound to a specific one. */
  readonly local: TransportAddress | undefined;
  /** Present when RFC 5780 / RFC 3489 behaviour discovery is configured for this socket. */
  readonly alternate: AlternateSet | undefined;
  /** Pre-encoded SOFTWARE value, when configured. */
  readonly software: Uint8Array | undefined;
}

export type BindingOutcome = 'success' | 'unknown-attribute' | 'bad-request';

export interface BindingAnswer {
  readonly kind: 'send';
  /** The request's method (the answer is of the same method). */
  readonly method: number;
  readonly bytes: Buffer;
  readonly outcome: BindingOutcome;
  /** Which socket sends it (RFC 5780 CHANGE-REQUEST); both false = the receiving one. */
  readonly changeIp: boolean;
  readonly changePort: boolean;
  /** Where it goes: the source port, or RESPONSE-PORT (RFC 5780 §7.5). */
  readonly port: number;
}

const KNOWN_ALWAYS = [
  Attr.changeRequest,
  Attr.username,
  Attr.messageIntegrity,
  Attr.messageIntegritySha256,
  Attr.padding,
  Attr.priority,
  Attr.useCandidate,
  Attr.userhash,
  Attr.nonce,
  Attr.realm,
  Attr.passwordAlgorithm,
];
// RESPONSE-ADDRESS (RFC 3489) is never known: honouring it would make us a reflector.
const knownWithout5780: ReadonlySet<number> = new Set(KNOWN_ALWAYS);
const knownWith5780: ReadonlySet<number> = new Set([...KNOWN_ALWAYS, Attr.responsePort]);

const successType = stunType(StunMethod.binding, StunClass.success);
const errorType = stunType(StunMethod.binding, StunClass.error);

/** Where and from where the answer goes (RFC 5780 §6.1), or the error code that refuses the request. */
interface Directives {
  readonly changeIp: boolean;
  readonly changePort: boolean;
  readonly port: number;
}

function readDirectives(request: StunMessage, context: BindingContext): Directives | number {
  const changeAttribute = findAttribute(request, Attr.changeRequest);
  const change = changeAttribute
    ? readChangeRequest(attributeValue(request, changeAttribute))
    : { changeIp: false, changePort: false };
  if (typeof change === 'string') return ErrorCode.badRequest;
  const changes = change.changeIp || change.changePort;
  // RFC 5780 §6.1: without a second address a CHANGE-REQUEST that asks for a change is refused
  // with 420, never silently answered from the primary address (coturn does the same).
  if (changes && !context.alternate) return ErrorCode.unknownAttribute;
  const responsePortAttribute = findAttribute(request, Attr.responsePort);
  if (!responsePortAttribute) {
    // RFC 5780 §6.1: CHANGE-REQUEST only makes sense over UDP.
    return changes && context.transport !== 'udp'
      ? ErrorCode.badRequest
      : { changeIp: change.changeIp, changePort: change.changePort, port: context.source.port };
  }
  // RFC 5780 §6.1: RESPONSE-PORT is UDP only, and a request that also carries PADDING gets 400.
  if (context.transport !== 'udp' || findAttribute(request, Attr.padding))
    return ErrorCode.badRequest;
  const port = readPort(attributeValue(request, responsePortAttribute));
  if (typeof port === 'string' || port === 0) return ErrorCode.badRequest;
  return { changeIp: change.changeIp, changePort: change.changePort, port };
}

export function answerBinding(request: StunMessage, context: BindingContext): BindingAnswer {
  const { alternate } = context;
  const unknown = unknownRequiredAttributes(request, alternate ? knownWith5780 : knownWithout5780);
  const directives =
    unknown.length > 0 ? ErrorCode.unknownAttribute : readDirectives(request, context);
  if (typeof directives === 'number') {
    const found = unknown.length > 0 ? unknown : [Attr.changeRequest];
    // RFC 3489 §11.2.10: an odd count repeats one type so the value is a multiple of 4 bytes.
    const listed = !request.hasCookie && found.length % 2 === 1 ? [...found, found[0] ?? 0] : found;
    const extra =
      directives === ErrorCode.unknownAttribute
        ? [{ type: Attr.unknownAttributes, value: writeUnknownAttributes(listed) }]
        : [];
    return errorAnswer(request, context, directives, extra);
  }
  const { changeIp, changePort, port } = directives;
  const attributes = request.hasCookie
    ? modernAttributes(request, context, changeIp, changePort)
    : classicAttributes(context, changeIp, changePort);
  if (context.software) attributes.push({ type: Attr.software, value: context.software });
  const padding = findAttribute(request, Attr.padding);
  if (padding && alternate && context.transport === 'udp') {
    // RFC 5780 §7.6: pad the answer like the request, to test fragmentation; never larger than it.
    attributes.push({ type: Attr.padding, value: new Uint8Array(padding.length) });
  }
  return {
    bytes: encode(request, successType, attributes),
    kind: 'send',
    method: StunMethod.binding,
    outcome: 'success',
    changeIp,
    changePort,
    port,
  };
}

function modernAttributes(
  request: StunMessage,
  context: BindingContext,
  changeIp: boolean,
  changePort: boolean,
): AttributeValue[] {
  const attributes: AttributeValue[] = [
    { type: Attr.xorMappedAddress, value: writeXorAddress(context.source, request.transactionId) },
  ];
  if (context.alternate) {
    // RFC 5780 §6.1: every answer names where it came from and the server's other address.
    const origin = context.alternate.originFor(changeIp, changePort);
    attributes.push({ type: Attr.responseOrigin, value: writeAddress(origin) });
    attributes.push({
      type: Attr.otherAddress,
      value: writeAddress(context.alternate.originFor(true, true)),
    });
  }
  return attributes;
}

/** RFC 3489 §11.2: MAPPED-ADDRESS, SOURCE-ADDRESS and CHANGED-ADDRESS; no XOR forms (unknown there). */
function classicAttributes(
  context: BindingContext,
  changeIp: boolean,
  changePort: boolean,
): AttributeValue[] {
  const attributes: AttributeValue[] = [
    { type: Attr.mappedAddress, value: writeAddress(context.source) },
  ];
  const origin = context.alternate
    ? context.alternate.originFor(changeIp, changePort)
    : context.local;
  if (origin) attributes.push({ type: Attr.sourceAddress, value: writeAddress(origin) });
  if (context.alternate) {
    attributes.push({
      type: Attr.changedAddress,
      value: writeAddress(context.alternate.originFor(true, true)),
    });
  }
  return attributes;
}

function errorAnswer(
  request: StunMessage,
  context: BindingContext,
  code: number,
  extra: AttributeValue[],
): BindingAnswer {
  const attributes: AttributeValue[] = [
    { type: Attr.errorCode, value: writeErrorCode(code) },
    ...extra,
  ];
  if (context.software) attributes.push({ type: Attr.software, value: context.software });
  return {
    bytes: encode(request, errorType, attributes),
    kind: 'send',
    method: StunMethod.binding,
    outcome: code === ErrorCode.unknownAttribute ? 'unknown-attribute' : 'bad-request',
    changeIp: false,
    changePort: false,
    port: context.source.port,
  };
}

function encode(request: StunMessage, type: number, attributes: AttributeValue[]): Buffer {
  // RFC 8489 §7.3: FINGERPRINT in the answer when the request carried one (not in RFC 3489 answers).
  const fingerprint = request.hasCookie && findAttribute(request, Attr.fingerprint) !== undefined;
  return encodeStunMessage({ type, transactionId: request.transactionId, attributes, fingerprint });
}
