// H323-UserInformation, the PER contents of the User-user IE (H.225.0 H323-MESSAGES): the body
// CHOICE, and of the H323-UU-PDU extension additions only genericData, where H.460.17 tunnels RAS.

import { type Decoded, malformed, ok } from '../../codec/decoded.ts';
import { PerReader } from '../../codec/per.ts';
import {
  type Alias,
  type H225Problem,
  type H225Reader,
  expectEnd,
  skipNonStandard,
} from './h225-common.ts';
import { type BodyName, readBody } from './h225-body.ts';
import { type TunnelledRas, readTunnelledRas } from './h460-17.ts';
import type { H323Limits } from './limits.ts';

export interface UserInformation {
  readonly body: BodyName;
  /** Setup-UUIE destinationAddress; undefined when absent or not a Setup. */
  readonly destinationAddress: readonly Alias[] | undefined;
  /** H.460.17 genericData: whether the feature is present, and the tunnelled RasMessages. */
  readonly ras: TunnelledRas;
}

/** H323-UU-PDU additions in order; genericData is the ninth (index 8). */
const GENERIC_DATA = 8;
const MAX_ADDITIONS = 64;

/** H323-UU-PDU { h323-message-body, nonStandardData OPT, ..., 9 additions }. */
function readUuPdu(r: H225Reader, limits: H323Limits): UserInformation {
  const { extended, present } = r.preamble(1, true);
  const { name, destinationAddress } = readBody(r, limits);
  if (present[0] === true) skipNonStandard(r, limits);
  let ras: TunnelledRas = { feature: false, messages: [] };
  const additions = extended ? r.additions(MAX_ADDITIONS) : [];
  additions.forEach((isPresent, index) => {
    if (!isPresent) return;
    const inner = r.openType();
    if (index !== GENERIC_DATA) return;
    ras = readTunnelledRas(inner, limits);
    expectEnd(inner);
  });
  return { body: name, destinationAddress, ras };
}

/** user-data SEQUENCE { protocol-discriminator INTEGER(0..255), user-information (1..131), ... }. */
function skipUserData(r: H225Reader): void {
  const { extended } = r.preamble(0, true);
  r.constrained(0, 255);
  r.octetString(1, 131, 131);
  if (extended) r.skipAdditions(MAX_ADDITIONS);
}

/**
 * H323-UserInformation { h323-uu-pdu, user-data OPT, ... }, decoded in full: a UUIE with octets
 * left over is refused, as is any bit that does not decode.
 */
export function decodeUserInformation(
  bytes: Uint8Array,
  limits: H323Limits,
): Decoded<UserInformation, H225Problem> {
  const r: H225Reader = PerReader.over(bytes);
  const { extended, present } = r.preamble(1, true);
  const info = readUuPdu(r, limits);
  if (present[0] === true) skipUserData(r);
  if (extended) r.skipAdditions(MAX_ADDITIONS);
  expectEnd(r);
  const { failure } = r;
  if (failure !== undefined) return malformed(failure.reason, failure.bit >> 3);
  return ok(info, bytes.length);
}
