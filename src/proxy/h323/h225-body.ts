// The h323-message-body of H323-UU-PDU. Its seven root alternatives are not open types, so each
// root is decoded bit-exactly to reach the UU-PDU's extension additions behind it (genericData);
// Setup-UUIE keeps its destinationAddress. Extension alternatives (empty, progress, …) are skipped.

import {
  type Alias,
  type H225Reader,
  readAliases,
  rootAlternative,
  skipAdditionsIf,
  skipEndpointType,
  skipObjectIdentifier,
  skipQseriesOptions,
  skipTransportAddress,
} from './h225-common.ts';
import type { H323Limits } from './limits.ts';

export const BODY_NAMES = [
  'setup',
  'callProceeding',
  'connect',
  'alerting',
  'information',
  'releaseComplete',
  'facility',
  // extension alternatives
  'progress',
  'empty',
  'status',
  'statusInquiry',
  'setupAcknowledge',
  'notify',
] as const;

export type BodyName = (typeof BODY_NAMES)[number] | 'unknown';

export interface Body {
  readonly name: BodyName;
  /** Setup-UUIE destinationAddress; undefined when absent or not a Setup. */
  readonly destinationAddress: readonly Alias[] | undefined;
}

const ROOT_BODIES = 7;

/** A CHOICE of NULLs (conferenceGoal, callType, reasons): the index, extensions skipped. */
function skipNullChoice(r: H225Reader, rootCount: number): void {
  rootAlternative(r, rootCount);
}

function skipSetOfAliases(r: H225Reader, limits: H323Limits): void {
  readAliases(r, limits);
}

/**
 * Setup-UUIE { protocolIdentifier, h245Address OPT, sourceAddress OPT, sourceInfo,
 * destinationAddress OPT, destCallSignalAddress OPT, destExtraCallInfo OPT, destExtraCRV OPT,
 * activeMC, conferenceID, conferenceGoal, callServices OPT, callType, ... }.
 */
function readSetup(r: H225Reader, limits: H323Limits): readonly Alias[] | undefined {
  const { extended, present } = r.preamble(7, true);
  const [h245, source, destination, destSignal, destExtra, destCrv, services] = present;
  skipObjectIdentifier(r);
  if (h245 === true) skipTransportAddress(r, limits);
  if (source === true) skipSetOfAliases(r, limits);
  skipEndpointType(r, limits); // sourceInfo
  const destinationAddress = destination === true ? readAliases(r, limits) : undefined;
  if (destSignal === true) skipTransportAddress(r, limits);
  if (destExtra === true) skipSetOfAliases(r, limits);
  if (destCrv === true) {
    const count = r.length(limits.maxItems);
    for (let i = 0; i < count && !r.failed; i++) r.constrained(0, 65535);
  }
  r.bit(); // activeMC
  r.octetString(16, 16, 16); // conferenceID
  skipNullChoice(r, 3); // conferenceGoal
  if (services === true) skipQseriesOptions(r);
  skipNullChoice(r, 4); // callType
  skipAdditionsIf(r, extended);
  return destinationAddress;
}

/** CallProceeding-UUIE and Alerting-UUIE { protocol, destinationInfo, h245Address OPT, ... }. */
function skipProceeding(r: H225Reader, limits: H323Limits): void {
  const { extended, present } = r.preamble(1, true);
  skipObjectIdentifier(r);
  skipEndpointType(r, limits);
  if (present[0] === true) skipTransportAddress(r, limits);
  skipAdditionsIf(r, extended);
}

/** Connect-UUIE { protocol, h245Address OPT, destinationInfo, conferenceID, ... }. */
function skipConnect(r: H225Reader, limits: H323Limits): void {
  const { extended, present } = r.preamble(1, true);
  skipObjectIdentifier(r);
  if (present[0] === true) skipTransportAddress(r, limits);
  skipEndpointType(r, limits);
  r.octetString(16, 16, 16);
  skipAdditionsIf(r, extended);
}

/** Information-UUIE { protocol, ... }. */
function skipInformation(r: H225Reader): void {
  const { extended } = r.preamble(0, true);
  skipObjectIdentifier(r);
  skipAdditionsIf(r, extended);
}

/** ReleaseComplete-UUIE { protocol, reason ReleaseCompleteReason OPT (12 roots), ... }. */
function skipReleaseComplete(r: H225Reader): void {
  const { extended, present } = r.preamble(1, true);
  skipObjectIdentifier(r);
  if (present[0] === true) skipNullChoice(r, 12);
  skipAdditionsIf(r, extended);
}

/**
 * Facility-UUIE { protocol, alternativeAddress OPT, alternativeAliasAddress OPT, conferenceID
 * OPT, reason FacilityReason (4 roots), ... }.
 */
function skipFacility(r: H225Reader, limits: H323Limits): void {
  const { extended, present } = r.preamble(3, true);
  skipObjectIdentifier(r);
  if (present[0] === true) skipTransportAddress(r, limits);
  if (present[1] === true) skipSetOfAliases(r, limits);
  if (present[2] === true) r.octetString(16, 16, 16);
  skipNullChoice(r, 4);
  skipAdditionsIf(r, extended);
}

const SKIP_ROOT: readonly ((r: H225Reader, limits: H323Limits) => void)[] = [
  () => undefined, // setup: read apart
  skipProceeding,
  skipConnect,
  skipProceeding, // alerting
  skipInformation,
  skipReleaseComplete,
  skipFacility,
];

/** The body CHOICE: its name, and a Setup's destinationAddress. */
export function readBody(r: H225Reader, limits: H323Limits): Body {
  const choice = r.choice(ROOT_BODIES, true);
  if (choice.extension) {
    r.skipOpenType();
    const name = BODY_NAMES[ROOT_BODIES + choice.index] ?? 'unknown';
    return { name, destinationAddress: undefined };
  }
  if (choice.index >= ROOT_BODIES) r.fail('h225.unknown-alternative');
  if (choice.index === 0) return { name: 'setup', destinationAddress: readSetup(r, limits) };
  const skip = SKIP_ROOT[choice.index];
  skip?.(r, limits);
  return {
    name: skip === undefined ? 'unknown' : (BODY_NAMES[choice.index] ?? 'unknown'),
    destinationAddress: undefined,
  };
}
