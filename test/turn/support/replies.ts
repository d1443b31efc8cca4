// Reading what the server sent: attributes of responses, Data indications and ChannelData.

import { Attr, StunClass, StunMethod } from '../../../src/stun/constants.ts';
import {
  type StunMessage,
  attributeValue,
  decodeStunMessage,
  findAttribute,
} from '../../../src/stun/message.ts';
import { type TransportAddress, readXorAddress } from '../../../src/stun/attributes/address.ts';
import { readErrorCode } from '../../../src/stun/attributes/error-code.ts';
import { readUint32 } from '../../../src/stun/attributes/scalar.ts';
import { readText } from '../../../src/stun/attributes/text.ts';
import { readUnknownAttributes } from '../../../src/stun/attributes/unknown.ts';

export function valueOf(message: StunMessage, type: number): Uint8Array | undefined {
  const attribute = findAttribute(message, type);
  return attribute === undefined ? undefined : attributeValue(message, attribute);
}

export function errorCodeOf(message: StunMessage): number | undefined {
  const value = valueOf(message, Attr.errorCode);
  if (value === undefined) return undefined;
  const error = readErrorCode(value);
  return typeof error === 'string' ? undefined : error.code;
}

export function textOf(message: StunMessage, type: number): string | undefined {
  const value = valueOf(message, type);
  if (value === undefined) return undefined;
  const text = readText(value);
  return text.kind === 'ok' ? text.value : undefined;
}

export function xorAddressOf(message: StunMessage, type: number): TransportAddress | undefined {
  const value = valueOf(message, type);
  if (value === undefined) return undefined;
  const address = readXorAddress(value, message.transactionId);
  return typeof address === 'string' ? undefined : address;
}

export function uint32Of(message: StunMessage, type: number): number | undefined {
  const value = valueOf(message, type);
  if (value === undefined) return undefined;
  const n = readUint32(value);
  return typeof n === 'number' ? n : undefined;
}

export function unknownAttributesOf(message: StunMessage): number[] | undefined {
  const value = valueOf(message, Attr.unknownAttributes);
  return value === undefined ? undefined : readUnknownAttributes(value);
}

/** The attribute types of the message, in order (to check what is there, and what is last). */
export function typesOf(message: StunMessage): number[] {
  return message.attributes.map((attribute) => attribute.type);
}

export interface DataIndication {
  readonly peer: TransportAddress | undefined;
  readonly data: Buffer;
}

export function isDataIndication(frame: Buffer): boolean {
  const decoded =
    frame.length >= 20 && (frame[0] ?? 0) < 0x40 ? decodeStunMessage(frame) : undefined;
  return (
    decoded?.kind === 'ok' &&
    decoded.value.method === StunMethod.data &&
    decoded.value.class === StunClass.indication
  );
}

export function readDataIndication(frame: Buffer): DataIndication {
  const decoded = decodeStunMessage(frame);
  if (decoded.kind !== 'ok') throw new Error('not a STUN message');
  const data = valueOf(decoded.value, Attr.data);
  return {
    peer: xorAddressOf(decoded.value, Attr.xorPeerAddress),
    data: Buffer.from(data ?? []),
  };
}

export function isChannelData(frame: Buffer): boolean {
  return frame.length >= 4 && (frame[0] ?? 0) >> 6 === 1;
}

export interface ChannelFrame {
  readonly channel: number;
  readonly data: Buffer;
  /** Bytes after the data (TCP padding). */
  readonly padding: Buffer;
}

export function readChannelData(frame: Buffer): ChannelFrame {
  const length = frame.readUInt16BE(2);
  return {
    channel: frame.readUInt16BE(0),
    data: Buffer.from(frame.subarray(4, 4 + length)),
    padding: Buffer.from(frame.subarray(4 + length)),
  };
}
