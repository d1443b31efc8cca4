// TURN attribute values (RFC 8656 §18, RFC 6062 §6.2). The STUN codec frames the TLVs; these read
// and write the values only. Addresses (XOR-PEER-ADDRESS, XOR-RELAYED-ADDRESS) are
// readXorAddress/writeXorAddress, LIFETIME is readUint32/writeUint32, and DATA is the attribute's
// own bytes (attributeValue): none of them needs a function here.

import { reasonPhrases } from '../stun/constants.ts';
import {
  type ErrorCodeProblem,
  type StunError,
  readErrorCode,
  writeErrorCode,
} from '../stun/attributes/error-code.ts';
import { readUint32, writeUint32 } from '../stun/attributes/scalar.ts';

export type TurnAttributeProblem =
  | 'turn.requested-transport-length'
  | 'turn.channel-number-length'
  | 'turn.channel-number'
  | 'turn.address-family-length'
  | 'turn.address-family-unknown'
  | 'turn.even-port-length'
  | 'turn.reservation-token-length'
  | 'turn.dont-fragment-length'
  | 'turn.connection-id-length'
  | ErrorCodeProblem;

/** REQUESTED-TRANSPORT protocol numbers (IANA protocol numbers; RFC 8656 §18.8, TCP from RFC 6062). */
export const TransportProtocol = { udp: 17, tcp: 6 } as const;

/** Family octets of REQUESTED-/ADDITIONAL-ADDRESS-FAMILY and ADDRESS-ERROR-CODE (RFC 8656 §18.6). */
export const AddressFamily = { ipv4: 0x01, ipv6: 0x02 } as const;
export type AddressFamily = (typeof AddressFamily)[keyof typeof AddressFamily];

/**
 * RFC 8656 §12 narrowed channels to 0x4000-0x4FFF; RFC 5766 allowed 0x4000-0x7FFF, and RFC 5766
 * clients still pick from all of it (coturn 4.6's turnutils_uclient does). Both are accepted: the
 * top bits 01 still tell ChannelData from STUN (RFC 7983).
 */
export const MIN_CHANNEL = 0x4000;
export const MAX_CHANNEL = 0x7fff;

export const RESERVATION_TOKEN_SIZE = 8;

export function isChannelNumber(n: number): boolean {
  return Number.isInteger(n) && n >= MIN_CHANNEL && n <= MAX_CHANNEL;
}

/** RFC 8656 §18.8: Protocol (8 bits), then 24 RFFU bits that receivers ignore. */
export function readRequestedTransport(value: Uint8Array): number | TurnAttributeProblem {
  if (value.length !== 4) return 'turn.requested-transport-length';
  return value[0] ?? 0;
}

export function writeRequestedTransport(protocol: number): Uint8Array {
  return new Uint8Array([protocol & 0xff, 0, 0, 0]);
}

/**
 * RFC 8656 §18.1: Channel Number (16 bits), then 16 RFFU bits. A number outside 0x4000-0x7FFF is a
 * problem here already, so the ChannelBind handler cannot forget the 400 of §11.2.
 */
export function readChannelNumber(value: Uint8Array): number | TurnAttributeProblem {
  if (value.length !== 4) return 'turn.channel-number-length';
  const channel = ((value[0] ?? 0) << 8) | (value[1] ?? 0);
  return isChannelNumber(channel) ? channel : 'turn.channel-number';
}

export function writeChannelNumber(channel: number): Uint8Array {
  return new Uint8Array([(channel >> 8) & 0xff, channel & 0xff, 0, 0]);
}

/**
 * REQUESTED-ADDRESS-FAMILY and ADDITIONAL-ADDRESS-FAMILY (RFC 8656 §18.6, §18.11): Family (8 bits),
 * then 24 reserved bits. An unknown family is its own problem: the server answers it with 440
 * (§7.2), a bad length with 400.
 */
export function readAddressFamily(value: Uint8Array): AddressFamily | TurnAttributeProblem {
  if (value.length !== 4) return 'turn.address-family-length';
  return familyOf(value[0] ?? 0);
}

function familyOf(octet: number): AddressFamily | 'turn.address-family-unknown' {
  if (octet === AddressFamily.ipv4) return AddressFamily.ipv4;
  if (octet === AddressFamily.ipv6) return AddressFamily.ipv6;
  return 'turn.address-family-unknown';
}

export function writeAddressFamily(family: AddressFamily): Uint8Array {
  return new Uint8Array([family, 0, 0, 0]);
}

export interface EvenPort {
  /** R bit: also reserve the next-higher port and return a RESERVATION-TOKEN for it. */
  readonly reserveNext: boolean;
}

const RESERVE_BIT = 0x80;

/** RFC 8656 §18.7: one byte, the R bit (most significant) then 7 RFFU bits. */
export function readEvenPort(value: Uint8Array): EvenPort | TurnAttributeProblem {
  if (value.length !== 1) return 'turn.even-port-length';
  return { reserveNext: ((value[0] ?? 0) & RESERVE_BIT) !== 0 };
}

export function writeEvenPort(reserveNext: boolean): Uint8Array {
  return new Uint8Array([reserveNext ? RESERVE_BIT : 0]);
}

/**
 * RFC 8656 §18.10: 8 opaque bytes. Returned as a copy: the token keys a reservation that outlives
 * the packet, and a view would keep the whole socket read chunk alive.
 */
export function readReservationToken(value: Uint8Array): Uint8Array | TurnAttributeProblem {
  if (value.length !== RESERVATION_TOKEN_SIZE) return 'turn.reservation-token-length';
  return new Uint8Array(value);
}

export function writeReservationToken(token: Uint8Array): Uint8Array {
  return new Uint8Array(token.subarray(0, RESERVATION_TOKEN_SIZE));
}

/** RFC 8656 §18.9: DONT-FRAGMENT has no value; presence is the whole message. */
export function readDontFragment(value: Uint8Array): true | TurnAttributeProblem {
  return value.length === 0 ? true : 'turn.dont-fragment-length';
}

export function writeDontFragment(): Uint8Array {
  return new Uint8Array(0);
}

export interface AddressError extends StunError {
  readonly family: AddressFamily;
}

/**
 * RFC 8656 §18.12: ERROR-CODE's layout (class, number, reason phrase) with the first octet holding
 * the address family the error is about. The reason defaults to our constant phrase for the code.
 */
export function writeAddressErrorCode(
  family: AddressFamily,
  code: number,
  reason = reasonPhrases.get(code) ?? '',
): Uint8Array {
  const out = writeErrorCode(code, reason);
  out[0] = family;
  return out;
}

export function readAddressErrorCode(value: Uint8Array): AddressError | TurnAttributeProblem {
  const error = readErrorCode(value);
  if (typeof error === 'string') return error;
  const family = familyOf(value[0] ?? 0);
  if (typeof family === 'string') return family;
  return { family, code: error.code, reason: error.reason };
}

/** RFC 6062 §6.2.1: CONNECTION-ID is a 32-bit number chosen by the server. */
export function readConnectionId(value: Uint8Array): number | TurnAttributeProblem {
  const id = readUint32(value);
  return typeof id === 'string' ? 'turn.connection-id-length' : id;
}

export function writeConnectionId(id: number): Uint8Array {
  return writeUint32(id);
}
