// H.460.17 (RAS over the H.225.0 call-signalling connection): in H323-UU-PDU genericData, the
// GenericData with standard id 17 carries each tunnelled RasMessage as the raw OCTET STRING of an
// EnumeratedParameter with standard id 1 (h323plus h460_std17.cxx, Wireshark packet-h460.c "17/1").
// Every other GenericData is skipped bit-exactly, nested ones up to a depth cap.

import { BMP_ALPHABET, IA5_ALPHABET } from '../../codec/per.ts';
import {
  type H225Reader,
  readAlias,
  rootAlternative,
  skipObjectIdentifier,
  skipTransportAddress,
} from './h225-common.ts';
import type { H323Limits } from './limits.ts';

const FEATURE_RAS = 17;
const PARAMETER_RAS_MESSAGE = 1;
const MAX_OCTETS = 16383;

/** What the genericData of one message held for H.460.17. */
export interface TunnelledRas {
  /** The feature is present (even without a RAS message). */
  feature: boolean;
  /** The raw RasMessage octets, in order, as views. */
  readonly messages: Uint8Array[];
}

type Id = { readonly standard: number } | undefined;

/** GenericIdentifier: standard INTEGER(0..16383, ...) | oid | nonStandard GUID | extension. */
function readGenericId(r: H225Reader): Id {
  const index = rootAlternative(r, 3);
  if (index === 0) return { standard: r.extensibleConstrained(0, 16383) };
  if (index === 1) skipObjectIdentifier(r);
  else if (index === 2) r.octetString(16, 16, 16); // nonStandard GloballyUniqueID
  return undefined;
}

interface Walk {
  readonly r: H225Reader;
  readonly limits: H323Limits;
  readonly depth: number;
}

function deeper(walk: Walk): Walk {
  if (walk.depth >= walk.limits.maxDepth) walk.r.fail('h225.too-deep');
  return { ...walk, depth: walk.depth + 1 };
}

function readCountIn(walk: Walk, lb: number, ub: number): number {
  const count = walk.r.constrained(lb, ub);
  if (count > walk.limits.maxItems) walk.r.fail('per.over-cap');
  return walk.r.failed ? 0 : count;
}

function skipParameters(walk: Walk): void {
  const count = readCountIn(walk, 1, 512);
  for (let i = 0; i < count && !walk.r.failed; i++) readParameter(walk, undefined);
}

function skipNested(walk: Walk): void {
  const count = readCountIn(walk, 1, 16);
  for (let i = 0; i < count && !walk.r.failed; i++) readGenericData(walk, undefined);
}

/**
 * Content: raw | text | unicode | bool | number8 | number16 | number32 | id | alias | transport |
 * compound | nested | extension. Returns the raw octets when the content is raw.
 */
function readContent(walk: Walk): Uint8Array | undefined {
  const { r, limits } = walk;
  const skips: readonly (() => unknown)[] = [
    () => r.characterString(0, undefined, IA5_ALPHABET, MAX_OCTETS),
    () => r.characterString(0, undefined, BMP_ALPHABET, MAX_OCTETS),
    () => r.bit(),
    () => r.constrained(0, 255),
    () => r.constrained(0, 65535),
    () => r.constrained(0, 4294967295),
    () => readGenericId(r),
    () => readAlias(r, limits),
    () => {
      skipTransportAddress(r, limits);
    },
    () => {
      skipParameters(deeper(walk));
    },
    () => {
      skipNested(deeper(walk));
    },
  ];
  const index = rootAlternative(r, 12);
  if (index === 0) return r.octetString(0, undefined, MAX_OCTETS);
  if (index !== undefined) skips[index - 1]?.();
  return undefined;
}

/** EnumeratedParameter { id, content OPT, ... }; `ras` collects H.460.17 RAS messages. */
function readParameter(walk: Walk, ras: TunnelledRas | undefined): void {
  const { r } = walk;
  const { extended, present } = r.preamble(1, true);
  const id = readGenericId(r);
  const content = present[0] === true ? readContent(walk) : undefined;
  if (ras !== undefined && id?.standard === PARAMETER_RAS_MESSAGE) {
    if (content === undefined) r.fail('h225.bad-tunnelled-ras');
    else ras.messages.push(content);
  }
  if (extended) r.skipAdditions(64);
}

/** GenericData { id, parameters SEQUENCE (SIZE(1..512)) OF EnumeratedParameter OPT, ... }. */
function readGenericData(walk: Walk, ras: TunnelledRas | undefined): void {
  const { r } = walk;
  const { extended, present } = r.preamble(1, true);
  const id = readGenericId(r);
  const wanted = ras !== undefined && id?.standard === FEATURE_RAS ? ras : undefined;
  if (wanted !== undefined) wanted.feature = true;
  if (present[0] === true) {
    const count = readCountIn(walk, 1, 512);
    for (let i = 0; i < count && !r.failed; i++) readParameter(walk, wanted);
  }
  if (extended) r.skipAdditions(64);
}

/** H323-UU-PDU genericData: SEQUENCE OF GenericData (an open type's contents). */
export function readTunnelledRas(r: H225Reader, limits: H323Limits): TunnelledRas {
  const ras: TunnelledRas = { feature: false, messages: [] };
  const count = r.length(limits.maxItems);
  const walk: Walk = { r, limits, depth: 0 };
  for (let i = 0; i < count && !r.failed; i++) readGenericData(walk, ras);
  return ras;
}
