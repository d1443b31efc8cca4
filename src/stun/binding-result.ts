// Reading a Binding answer (pure): the addresses a client learns, or the server's error.

import { Attr, StunClass, StunMethod } from './constants.ts';
import { type StunMessage, attributeValue, findAttribute } from './message.ts';
import { type TransportAddress, readAddress, readXorAddress } from './attributes/address.ts';
import { readErrorCode, type StunError } from './attributes/error-code.ts';

export interface BindingResult {
  /** XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS (RFC 3489 servers). */
  readonly mapped: TransportAddress | undefined;
  readonly responseOrigin: TransportAddress | undefined;
  readonly otherAddress: TransportAddress | undefined;
  /** RFC 3489 SOURCE-ADDRESS / CHANGED-ADDRESS. */
  readonly sourceAddress: TransportAddress | undefined;
  readonly changedAddress: TransportAddress | undefined;
  readonly error: StunError | undefined;
}

export type BindingResultProblem = 'stun.not-binding-response' | 'stun.bad-error-code';

export function readBindingResult(message: StunMessage): BindingResult | BindingResultProblem {
  if (message.method !== StunMethod.binding) return 'stun.not-binding-response';
  if (message.class !== StunClass.success && message.class !== StunClass.error)
    return 'stun.not-binding-response';
  let error: StunError | undefined;
  if (message.class === StunClass.error) {
    const attribute = findAttribute(message, Attr.errorCode);
    const value = attribute
      ? readErrorCode(attributeValue(message, attribute))
      : 'stun.error-code-length';
    if (typeof value === 'string') return 'stun.bad-error-code';
    error = value;
  }
  const plain = (type: number): TransportAddress | undefined => {
    const attribute = findAttribute(message, type);
    if (!attribute) return undefined;
    const value = readAddress(attributeValue(message, attribute));
    return typeof value === 'string' ? undefined : value;
  };
  const xorAttribute = findAttribute(message, Attr.xorMappedAddress);
  const xor = xorAttribute
    ? readXorAddress(attributeValue(message, xorAttribute), message.transactionId)
    : undefined;
  return {
    mapped: xor !== undefined && typeof xor !== 'string' ? xor : plain(Attr.mappedAddress),
    responseOrigin: plain(Attr.responseOrigin),
    otherAddress: plain(Attr.otherAddress),
    sourceAddress: plain(Attr.sourceAddress),
    changedAddress: plain(Attr.changedAddress),
    error,
  };
}
