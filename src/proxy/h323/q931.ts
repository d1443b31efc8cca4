// The Q.931 message of H.225.0 call signalling (Q.931 §4 as profiled by H.225.0 §7): protocol
// discriminator, a two-octet call reference, the message type and the information elements, of
// which only the User-user IE (the H.225.0 UUIE) matters here.

import { type Decoded, incomplete, malformed, ok } from '../../codec/decoded.ts';

export type Q931Problem =
  | 'h323.not-q931'
  | 'h323.bad-call-reference'
  | 'h323.codeset-shift'
  | 'h323.bad-element'
  | 'h323.too-many-elements'
  | 'h323.duplicate-user-user'
  | 'h323.bad-user-user';

export const Q931MessageType = {
  alerting: 0x01,
  callProceeding: 0x02,
  progress: 0x03,
  setup: 0x05,
  connect: 0x07,
  setupAcknowledge: 0x0d,
  releaseComplete: 0x5a,
  facility: 0x62,
  notify: 0x6e,
  statusEnquiry: 0x75,
  information: 0x7b,
  status: 0x7d,
} as const;

export interface Q931Header {
  /** The call reference value (15 bits); 0 is the global one H.460.17 uses. */
  readonly callReference: number;
  /** Q.931 §4.3: the flag is set in messages sent by the side that did not allocate the value. */
  readonly fromDestination: boolean;
  readonly messageType: number;
}

export interface Q931Message extends Q931Header {
  /** The PER-encoded H323-UserInformation after the UUIE's protocol discriminator, a view. */
  readonly userUser: Uint8Array | undefined;
}

/** Q.931 §4.2: 0x08 for Q.931 user-network call control messages. */
const PROTOCOL_DISCRIMINATOR = 0x08;
/** H.225.0 §7.2.2: call reference values are two octets. */
const CALL_REFERENCE_LENGTH = 2;
export const Q931_HEADER = 5;
const USER_USER = 0x7e;
/** Q.931 §4.5.1 Table 4-3: X.208/X.209 coded user information, which H.225.0 uses. */
const UUIE_DISCRIMINATOR = 0x05;
/** Ample for any real message (a Setup carries a handful). */
const MAX_ELEMENTS = 64;

/** The first five octets; a prefix of them is incomplete. */
export function decodeQ931Header(bytes: Uint8Array): Decoded<Q931Header, Q931Problem> {
  if (bytes.length >= 1 && bytes[0] !== PROTOCOL_DISCRIMINATOR)
    return malformed('h323.not-q931', 0);
  if (bytes.length >= 2 && bytes[1] !== CALL_REFERENCE_LENGTH) {
    return malformed('h323.bad-call-reference', 1);
  }
  const [, , flagged = 0, low = 0, messageType] = bytes;
  if (messageType === undefined) return incomplete(Q931_HEADER - bytes.length);
  // Q.931 §4.4: bit 8 of the message type is reserved for extension and is 0.
  if (messageType >= 0x80) return malformed('h323.not-q931', 4);
  return ok(
    { callReference: (flagged & 0x7f) * 256 + low, fromDestination: flagged >= 0x80, messageType },
    Q931_HEADER,
  );
}

type Element = Decoded<{ readonly userUser: Uint8Array | undefined }, Q931Problem>;

/** One information element at `at`, its size, and the UUIE contents when it is one. */
function readElement(bytes: Uint8Array, at: number): Element {
  const id = bytes[at] ?? 0;
  // Q.931 §4.5.1: bit 8 set is a single-octet element; 0x9X are the codeset shifts (§4.5.2–3),
  // after which the following elements mean something else. A first message has no need of them.
  if (id >= 0x80) {
    return id >> 4 === 0x9 ? malformed('h323.codeset-shift', at) : ok({ userUser: undefined }, 1);
  }
  if (id === USER_USER) {
    // H.225.0 §7.2.2.1: a two-octet length, counting the protocol discriminator.
    const high = bytes[at + 1];
    const low = bytes[at + 2];
    if (high === undefined || low === undefined) return malformed('h323.bad-element', at);
    const length = high * 256 + low;
    if (at + 3 + length > bytes.length) return malformed('h323.bad-element', at);
    if (length < 2 || bytes[at + 3] !== UUIE_DISCRIMINATOR) {
      return malformed('h323.bad-user-user', at);
    }
    return ok({ userUser: bytes.subarray(at + 4, at + 3 + length) }, 3 + length);
  }
  const length = bytes[at + 1];
  if (length === undefined || at + 2 + length > bytes.length) {
    return malformed('h323.bad-element', at);
  }
  return ok({ userUser: undefined }, 2 + length);
}

/** A whole Q.931 message (the TPKT payload): every element must end inside it. */
export function decodeQ931(bytes: Uint8Array): Decoded<Q931Message, Q931Problem> {
  const header = decodeQ931Header(bytes);
  if (header.kind === 'incomplete') return malformed('h323.not-q931', bytes.length);
  if (header.kind === 'malformed') return header;
  let userUser: Uint8Array | undefined;
  let count = 0;
  for (let at = Q931_HEADER; at < bytes.length; count++) {
    if (count >= MAX_ELEMENTS) return malformed('h323.too-many-elements', at);
    const element = readElement(bytes, at);
    if (element.kind !== 'ok') return element;
    if (element.value.userUser !== undefined) {
      if (userUser !== undefined) return malformed('h323.duplicate-user-user', at);
      userUser = element.value.userUser;
    }
    at += element.size;
  }
  return ok({ ...header.value, userUser }, bytes.length);
}
