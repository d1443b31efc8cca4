// RasMessage (H.225.0 RAS) as tunnelled by H.460.17: GatekeeperRequest and RegistrationRequest are
// decoded up to their gatekeeperIdentifier and aliases, GatekeeperReject and RegistrationReject
// up to their reason; any other message is known by its CHOICE index alone.

import { type Decoded, malformed, ok } from '../../codec/decoded.ts';
import { PerReader } from '../../codec/per.ts';
import {
  type Alias,
  type H225Problem,
  type H225Reader,
  readAliases,
  readGatekeeperId,
  skipEndpointType,
  skipNonStandard,
  skipObjectIdentifier,
  skipQseriesOptions,
  skipTransportAddress,
  skipTransportAddresses,
} from './h225-common.ts';
import type { H323Limits } from './limits.ts';

/** RasMessage root alternatives (25, so a 5-bit index). */
export const RasIndex = {
  gatekeeperRequest: 0,
  gatekeeperConfirm: 1,
  gatekeeperReject: 2,
  registrationRequest: 3,
  registrationConfirm: 4,
  registrationReject: 5,
  unregistrationRequest: 6,
} as const;
const RAS_ROOTS = 25;

/** GRQ and RRQ: the fields that route and identify. */
export interface RasRequest {
  readonly kind: 'gatekeeperRequest' | 'registrationRequest';
  readonly requestSeqNum: number;
  readonly gatekeeperId: string | undefined;
  /** GRQ endpointAlias / RRQ terminalAlias; empty when absent. */
  readonly aliases: readonly Alias[];
}

/** A reject reason CHOICE: a root alternative, or an extension one (`extension` true). */
export interface RejectReason {
  readonly extension: boolean;
  readonly index: number;
}

export interface RasReject {
  readonly kind: 'gatekeeperReject' | 'registrationReject';
  readonly requestSeqNum: number;
  readonly reason: RejectReason;
}

/** GCF and RCF, read as far as their requestSeqNum. */
export interface RasConfirm {
  readonly kind: 'gatekeeperConfirm' | 'registrationConfirm';
  readonly requestSeqNum: number;
}

export type RasMessage =
  | RasRequest
  | RasReject
  | RasConfirm
  | { readonly kind: 'other'; readonly extension: boolean; readonly index: number };

/** The common prologue: the preamble, requestSeqNum, protocolIdentifier, nonStandardData. */
function readPrologue(
  r: H225Reader,
  limits: H323Limits,
  optionalCount: number,
): { present: readonly boolean[]; requestSeqNum: number } {
  const { present } = r.preamble(optionalCount, true);
  const requestSeqNum = r.constrained(1, 65535);
  skipObjectIdentifier(r);
  if (present[0] === true) skipNonStandard(r, limits);
  return { present, requestSeqNum };
}

/** GRQ { seq, protocol, nsd OPT, rasAddress, endpointType, gkid OPT, callServices OPT, alias OPT }. */
function readGatekeeperRequest(r: H225Reader, limits: H323Limits): RasRequest {
  const { present, requestSeqNum } = readPrologue(r, limits, 4);
  skipTransportAddress(r, limits);
  skipEndpointType(r, limits);
  const gatekeeperId = present[1] === true ? readGatekeeperId(r) : undefined;
  if (present[2] === true) skipQseriesOptions(r);
  const aliases = present[3] === true ? readAliases(r, limits) : [];
  return { kind: 'gatekeeperRequest', requestSeqNum, gatekeeperId, aliases };
}

/**
 * RRQ { seq, protocol, nsd OPT, discoveryComplete, callSignalAddress, rasAddress, terminalType,
 * terminalAlias OPT, gkid OPT, endpointVendor, ... }: read up to the gatekeeperIdentifier.
 */
function readRegistrationRequest(r: H225Reader, limits: H323Limits): RasRequest {
  const { present, requestSeqNum } = readPrologue(r, limits, 3);
  r.bit(); // discoveryComplete
  skipTransportAddresses(r, limits); // callSignalAddress
  skipTransportAddresses(r, limits); // rasAddress
  skipEndpointType(r, limits);
  const aliases = present[1] === true ? readAliases(r, limits) : [];
  const gatekeeperId = present[2] === true ? readGatekeeperId(r) : undefined;
  return { kind: 'registrationRequest', requestSeqNum, gatekeeperId, aliases };
}

function readReason(r: H225Reader, rootCount: number): RejectReason {
  // Only the index matters: the value (RRJ duplicateAlias, an open type) is never read.
  const { extension, index } = r.choice(rootCount, true);
  return { extension, index };
}

/** GRJ { seq, protocol, nsd OPT, gkid OPT, rejectReason (4 roots), ... }. */
function readGatekeeperReject(r: H225Reader, limits: H323Limits): RasReject {
  const { present, requestSeqNum } = readPrologue(r, limits, 2);
  if (present[1] === true) readGatekeeperId(r);
  return { kind: 'gatekeeperReject', requestSeqNum, reason: readReason(r, 4) };
}

/** RRJ { seq, protocol, nsd OPT, rejectReason (8 roots), gkid OPT, ... }. */
function readRegistrationReject(r: H225Reader, limits: H323Limits): RasReject {
  const { requestSeqNum } = readPrologue(r, limits, 2);
  return { kind: 'registrationReject', requestSeqNum, reason: readReason(r, 8) };
}

/** GCF has 2 optional root components (nsd, gkid), RCF 3 (nsd, terminalAlias, gkid). */
function readConfirm(kind: RasConfirm['kind'], optionalCount: number): Reader {
  return (r) => {
    r.preamble(optionalCount, true);
    return { kind, requestSeqNum: r.constrained(1, 65535) };
  };
}

type Reader = (r: H225Reader, limits: H323Limits) => RasMessage;

const READERS: ReadonlyMap<number, Reader> = new Map<number, Reader>([
  [RasIndex.gatekeeperRequest, readGatekeeperRequest],
  [RasIndex.gatekeeperConfirm, readConfirm('gatekeeperConfirm', 2)],
  [RasIndex.gatekeeperReject, readGatekeeperReject],
  [RasIndex.registrationRequest, readRegistrationRequest],
  [RasIndex.registrationConfirm, readConfirm('registrationConfirm', 3)],
  [RasIndex.registrationReject, readRegistrationReject],
]);

/** One RasMessage (the raw octets of an H.460.17 parameter), decoded as far as it matters. */
export function decodeRasMessage(
  bytes: Uint8Array,
  limits: H323Limits,
): Decoded<RasMessage, H225Problem> {
  const r: H225Reader = PerReader.over(bytes);
  const { extension, index } = r.choice(RAS_ROOTS, true);
  if (!extension && index >= RAS_ROOTS) r.fail('h225.unknown-alternative');
  const read = extension ? undefined : READERS.get(index);
  const message =
    read === undefined ? { kind: 'other' as const, extension, index } : read(r, limits);
  const { failure } = r;
  if (failure !== undefined) return malformed(failure.reason, failure.bit >> 3);
  return ok(message, bytes.length);
}
