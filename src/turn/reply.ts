// Building TURN responses (RFC 8656 §7-§11): success and error responses of the request's method,
// signed with the allocation's key when the request was authenticated, FINGERPRINT when it had one.
// Error reasons are the fixed IANA phrases: nothing from the request is echoed (CVE-2026-104074).

import { Attr, StunClass } from '../stun/constants.ts';
import { type AttributeValue, encodeStunMessage } from '../stun/encode.ts';
import { stunType } from '../stun/header.ts';
import { type StunMessage, findAttribute } from '../stun/message.ts';
import { writeErrorCode } from '../stun/attributes/error-code.ts';
import { writeText } from '../stun/attributes/text.ts';
import { writeUnknownAttributes } from '../stun/attributes/unknown.ts';
import { writeXorAddress } from '../stun/attributes/address.ts';
import { writeUint32 } from '../stun/attributes/scalar.ts';
import type { RelayHandle } from './allocation.ts';
import { writeAddressErrorCode, writeReservationToken } from './attributes.ts';
import type { AllocateAsk } from './requests.ts';
import type { TurnLink } from './types.ts';

export interface Signing {
  readonly key: Uint8Array;
  /** MESSAGE-INTEGRITY-SHA256 when the request used it, else MESSAGE-INTEGRITY. */
  readonly algorithm: 'sha1' | 'sha256';
}

export interface ReplyContext {
  readonly software: Uint8Array | undefined;
}

function finish(
  request: StunMessage,
  cls: (typeof StunClass)[keyof typeof StunClass],
  attributes: AttributeValue[],
  context: ReplyContext,
  signing: Signing | undefined,
): Buffer {
  if (context.software !== undefined)
    attributes.push({ type: Attr.software, value: context.software });
  return encodeStunMessage({
    type: stunType(request.method, cls),
    transactionId: request.transactionId,
    attributes,
    ...(signing === undefined ? {} : { integrity: signing }),
    fingerprint: findAttribute(request, Attr.fingerprint) !== undefined,
  });
}

export function successReply(
  request: StunMessage,
  attributes: AttributeValue[],
  context: ReplyContext,
  signing: Signing | undefined,
): Buffer {
  return finish(request, StunClass.success, attributes, context, signing);
}

export function errorReply(
  request: StunMessage,
  code: number,
  context: ReplyContext,
  options: {
    readonly signing?: Signing | undefined;
    readonly extra?: readonly AttributeValue[];
  } = {},
): Buffer {
  const attributes: AttributeValue[] = [{ type: Attr.errorCode, value: writeErrorCode(code) }];
  if (options.extra) attributes.push(...options.extra);
  return finish(request, StunClass.error, attributes, context, options.signing);
}

/** 401 / 438: REALM and a fresh NONCE, unsigned (RFC 8489 §9.2.4). */
export function challengeReply(
  request: StunMessage,
  code: 401 | 438,
  realm: string,
  nonce: string,
  context: ReplyContext,
): Buffer {
  return errorReply(request, code, context, {
    extra: [
      { type: Attr.realm, value: writeText(realm) },
      { type: Attr.nonce, value: writeText(nonce) },
    ],
  });
}

export function unknownAttributesReply(
  request: StunMessage,
  types: readonly number[],
  context: ReplyContext,
  signing: Signing | undefined,
): Buffer {
  return errorReply(request, 420, context, {
    signing,
    extra: [{ type: Attr.unknownAttributes, value: writeUnknownAttributes(types) }],
  });
}

/** The success answer of an Allocate (RFC 8656 §7.2, RFC 6156 §4.2). */
export function allocatedAttributes(
  request: StunMessage,
  link: TurnLink,
  ask: AllocateAsk,
  opened: { readonly relays: readonly RelayHandle[]; readonly token: Buffer | undefined },
  seconds: number,
): AttributeValue[] {
  const { relays, token } = opened;
  const attributes: AttributeValue[] = relays.map((relay) => ({
    type: Attr.xorRelayedAddress,
    value: writeXorAddress(relay.address, request.transactionId),
  }));
  if (ask.additional && !relays.some((relay) => relay.address.family === 6)) {
    attributes.push({ type: Attr.addressErrorCode, value: writeAddressErrorCode(0x02, 440) });
  }
  attributes.push({ type: Attr.lifetime, value: writeUint32(seconds) });
  if (token !== undefined)
    attributes.push({ type: Attr.reservationToken, value: writeReservationToken(token) });
  attributes.push({
    type: Attr.xorMappedAddress,
    value: writeXorAddress(link.client, request.transactionId),
  });
  return attributes;
}
