// LDAPMessage framing on a stream (RFC 4511 §4.1.1) and the head every decision starts from: the
// messageID and the protocolOp's tag, readable from a message's first bytes alone.

import {
  type BerProblem,
  frameBerElement,
  readBerElementHeader,
  readBerHeader,
  readBerInteger,
} from '../../codec/ber.ts';
import {
  type Decoded,
  type Incomplete,
  type Malformed,
  malformed,
  ok,
} from '../../codec/decoded.ts';

export type LdapProblem =
  'ldap.not-a-message' | 'ldap.indefinite-length' | 'ldap.too-large' | 'ldap.malformed';

export interface LdapHead {
  /** RFC 4511 §4.1.1.1: 0 .. 2^31-1 (0 only in unsolicited notifications). */
  readonly messageId: number;
  /** The protocolOp's identifier octet (see LdapOp). */
  readonly op: number;
  /** The protocolOp's contents, as offsets into the message (the end may lie beyond a prefix). */
  readonly opStart: number;
  readonly opEnd: number;
  /** Octets of the whole LDAPMessage. */
  readonly size: number;
}

const SEQUENCE = 0x30;
const CONTROLS = 0xa0;

export function ldapProblem(
  result: Incomplete | Malformed<BerProblem>,
): Incomplete | Malformed<LdapProblem> {
  if (result.kind === 'incomplete') return result;
  // RFC 4511 §5.1 forbids the indefinite length; the cap is the caller's.
  if (result.reason === 'ber.indefinite-length') {
    return malformed('ldap.indefinite-length', result.offset);
  }
  const reason = result.reason === 'ber.over-cap' ? 'ldap.too-large' : 'ldap.malformed';
  return malformed(reason, result.offset);
}

/**
 * The head of the message at the start of `bytes`, which may hold only its first bytes: the
 * outer SEQUENCE, the messageID and the protocolOp's header must be in. `size` is the message's
 * size, which may exceed `bytes.length`.
 */
export function decodeLdapHead(bytes: Uint8Array): Decoded<LdapHead, LdapProblem> {
  if (bytes.length > 0 && bytes[0] !== SEQUENCE) return malformed('ldap.not-a-message', 0);
  const outer = readBerHeader(bytes, 0);
  if (outer.kind !== 'ok') return ldapProblem(outer);
  const size = outer.size + outer.value.length;
  const id = readBerInteger(bytes, outer.size, size);
  if (id.kind !== 'ok') return ldapProblem(id);
  if (id.value < 0) return malformed('ldap.malformed', outer.size);
  const op = readBerElementHeader(bytes, outer.size + id.size, size);
  if (op.kind !== 'ok') return ldapProblem(op);
  const { identifier, contentStart, end } = op.value;
  return ok({ messageId: id.value, op: identifier, opStart: contentStart, opEnd: end, size }, size);
}

/**
 * The first LDAPMessage of a stream, whole and at most `maxBytes` long: `incomplete` until all its
 * octets are in. After the protocolOp only `controls [0]` may follow (§4.1.1).
 */
export function frameLdapMessage(
  bytes: Uint8Array,
  maxBytes: number,
): Decoded<LdapHead, LdapProblem> {
  if (bytes.length > 0 && bytes[0] !== SEQUENCE) return malformed('ldap.not-a-message', 0);
  const frame = frameBerElement(bytes, maxBytes);
  if (frame.kind !== 'ok') return ldapProblem(frame);
  const message = bytes.subarray(0, frame.size);
  const head = decodeLdapHead(message);
  // The message is whole, so nothing inside it can be incomplete.
  if (head.kind === 'incomplete') return malformed('ldap.malformed', 0);
  if (head.kind === 'malformed' || head.value.opEnd === head.value.size) return head;
  const controls = readBerElementHeader(message, head.value.opEnd, head.value.size);
  const isControls =
    controls.kind === 'ok' &&
    controls.value.identifier === CONTROLS &&
    controls.value.end === head.value.size;
  return isControls ? head : malformed('ldap.malformed', head.value.opEnd);
}
