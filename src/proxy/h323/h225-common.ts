// H.225.0 common types (H323-MESSAGES "common message elements") as the plug-in needs them: the
// ones in front of a wanted field are skipped bit-exactly (TransportAddress, NonStandardParameter,
// EndpointType, QseriesOptions), aliases and gatekeeper identifiers are read. Extension additions
// and extension alternatives are open types, skipped by their length without being understood.

import {
  BMP_ALPHABET,
  IA5_ALPHABET,
  type PerProblem,
  PerReader,
  permittedAlphabet,
} from '../../codec/per.ts';
import type { H323Limits } from './limits.ts';

export type H225Problem =
  | PerProblem
  /** A root CHOICE index beyond the alternatives (7 in 3 bits leaves one). */
  | 'h225.unknown-alternative'
  /** GenericData nested deeper than the cap. */
  | 'h225.too-deep'
  /** Octets left over in an open type or a UUIE that was decoded in full. */
  | 'h225.trailing-octets'
  /** H.460.17 parameter 1 that is not a raw octet string. */
  | 'h225.bad-tunnelled-ras';

export type H225Reader = PerReader<Exclude<H225Problem, PerProblem>>;

export type AliasKind =
  | 'dialedDigits'
  | 'h323-ID'
  | 'url-ID'
  | 'transportID'
  | 'email-ID'
  | 'partyNumber'
  | 'mobileUIM'
  | 'isupNumber'
  | 'unknown';

export interface Alias {
  readonly kind: AliasKind;
  /** The text of string and number aliases; undefined for the others. */
  readonly value: string | undefined;
}

/** Extension additions any H.225.0 type has (RRQ has 27, Setup 28), with room for later versions. */
const MAX_ADDITIONS = 64;
const MAX_OID_OCTETS = 32;
const MAX_OCTETS = 16383;
const DIGITS = permittedAlphabet('0123456789#*,');

type Skip = (r: H225Reader, limits: H323Limits) => void;

export function skipAdditionsIf(r: H225Reader, extended: boolean): void {
  if (extended) r.skipAdditions(MAX_ADDITIONS);
}

/**
 * A root alternative's index, or undefined when an extension alternative was read (and its open
 * type skipped) or the index is not one of the `rootCount` alternatives.
 */
export function rootAlternative(r: H225Reader, rootCount: number): number | undefined {
  const choice = r.choice(rootCount, true);
  if (choice.extension) {
    r.skipOpenType();
    return undefined;
  }
  if (choice.index >= rootCount) r.fail('h225.unknown-alternative');
  return choice.index;
}

function skipChoice(r: H225Reader, limits: H323Limits, alternatives: readonly Skip[]): void {
  const index = rootAlternative(r, alternatives.length);
  if (index !== undefined) alternatives[index]?.(r, limits);
}

export function skipObjectIdentifier(r: H225Reader): void {
  r.objectIdentifier(MAX_OID_OCTETS);
}

/** The count of an unconstrained SEQUENCE OF, capped. */
export function readCount(r: H225Reader, limits: H323Limits): number {
  return r.length(limits.maxItems);
}

function skipH221(r: H225Reader): void {
  const { extended } = r.preamble(0, true);
  r.constrained(0, 255); // t35CountryCode
  r.constrained(0, 255); // t35Extension
  r.constrained(0, 65535); // manufacturerCode
  skipAdditionsIf(r, extended);
}

/** NonStandardParameter ::= SEQUENCE { nonStandardIdentifier, data OCTET STRING } (no extension). */
export function skipNonStandard(r: H225Reader, limits: H323Limits): void {
  skipChoice(r, limits, [skipObjectIdentifier, skipH221]);
  r.octetString(0, undefined, MAX_OCTETS);
}

function skipIpAddress(r: H225Reader): void {
  r.octetString(4, 4, 4);
  r.constrained(0, 65535);
}

function skipIpSourceRoute(r: H225Reader, limits: H323Limits): void {
  const { extended } = r.preamble(0, true);
  skipIpAddress(r);
  const routes = readCount(r, limits);
  for (let i = 0; i < routes && !r.failed; i++) r.octetString(4, 4, 4);
  skipChoice(r, limits, [noop, noop]); // routing: strict | loose
  skipAdditionsIf(r, extended);
}

function skipIp6Address(r: H225Reader): void {
  const { extended } = r.preamble(0, true);
  r.octetString(16, 16, 16);
  r.constrained(0, 65535);
  skipAdditionsIf(r, extended);
}

function noop(): void {
  // NULL: nothing on the wire
}

const TRANSPORT_ADDRESS: readonly Skip[] = [
  skipIpAddress,
  skipIpSourceRoute,
  (r) => {
    r.octetString(6, 6, 6); // ipxAddress: node, netnum, port
    r.octetString(4, 4, 4);
    r.octetString(2, 2, 2);
  },
  skipIp6Address,
  (r) => r.octetString(16, 16, 16), // netBios
  (r) => r.octetString(1, 20, 20), // nsap
  skipNonStandard,
];

export function skipTransportAddress(r: H225Reader, limits: H323Limits): void {
  skipChoice(r, limits, TRANSPORT_ADDRESS);
}

export function skipTransportAddresses(r: H225Reader, limits: H323Limits): void {
  const count = readCount(r, limits);
  for (let i = 0; i < count && !r.failed; i++) skipTransportAddress(r, limits);
}

/** GatekeeperInfo, TerminalInfo, McuInfo and the root Caps of SupportedProtocols. */
function skipInfo(r: H225Reader, limits: H323Limits): void {
  const { extended, present } = r.preamble(1, true);
  if (present[0] === true) skipNonStandard(r, limits);
  skipAdditionsIf(r, extended);
}

function skipVendor(r: H225Reader): void {
  const { extended, present } = r.preamble(2, true);
  skipH221(r);
  if (present[0] === true) r.octetString(1, 256, 256); // productId
  if (present[1] === true) r.octetString(1, 256, 256); // versionId
  skipAdditionsIf(r, extended);
}

// SupportedProtocols: nonStandardData, then h310 … t120-only, each `{nonStandardData OPT, ...}`.
const SUPPORTED_PROTOCOLS: readonly Skip[] = [skipNonStandard, ...Array<Skip>(8).fill(skipInfo)];

function skipGatewayInfo(r: H225Reader, limits: H323Limits): void {
  const { extended, present } = r.preamble(2, true);
  if (present[0] === true) {
    const count = readCount(r, limits);
    for (let i = 0; i < count && !r.failed; i++) skipChoice(r, limits, SUPPORTED_PROTOCOLS);
  }
  if (present[1] === true) skipNonStandard(r, limits);
  skipAdditionsIf(r, extended);
}

// EndpointType's optional root components in order, each with its skip.
const ENDPOINT_PARTS: readonly Skip[] = [
  skipNonStandard,
  skipVendor,
  skipInfo, // gatekeeper
  skipGatewayInfo,
  skipInfo, // mcu
  skipInfo, // terminal
];

export function skipEndpointType(r: H225Reader, limits: H323Limits): void {
  const { extended, present } = r.preamble(ENDPOINT_PARTS.length, true);
  ENDPOINT_PARTS.forEach((skip, i) => {
    if (present[i] === true) skip(r, limits);
  });
  r.bit(); // mc
  r.bit(); // undefinedNode
  skipAdditionsIf(r, extended);
}

/** QseriesOptions: seven BOOLEANs and Q954Details { two BOOLEANs, ... }. */
export function skipQseriesOptions(r: H225Reader): void {
  const outer = r.preamble(0, true);
  r.bits(7);
  const inner = r.preamble(0, true);
  r.bits(2);
  skipAdditionsIf(r, inner.extended);
  skipAdditionsIf(r, outer.extended);
}

/** NumberDigits ::= IA5String (SIZE(1..128)) (FROM("0123456789#*,")). */
function readDigits(r: H225Reader): string {
  return r.characterString(1, 128, DIGITS, 128);
}

/** PartyNumber: the digits of whichever numbering plan it uses. */
function readPartyNumber(r: H225Reader, limits: H323Limits): string | undefined {
  const index = rootAlternative(r, 5);
  if (index === 0 || index === 3) {
    // e164Number / privateNumber: SEQUENCE { type CHOICE (6 roots, ...), digits } (no extension)
    skipChoice(r, limits, Array<Skip>(6).fill(noop));
  }
  return index === undefined ? undefined : readDigits(r);
}

/** Fails unless an open type decoded in full holds at most its padding bits. */
export function expectEnd(r: H225Reader): void {
  if (r.remainingBits >= 8) r.fail('h225.trailing-octets');
}

function readAliasExtension(r: H225Reader, limits: H323Limits, index: number): Alias {
  const inner = r.openType();
  const text = (kind: AliasKind): Alias => {
    const value = inner.characterString(1, 512, IA5_ALPHABET, 512);
    expectEnd(inner);
    return { kind, value };
  };
  switch (index) {
    case 0:
      return text('url-ID');
    case 1:
      skipTransportAddress(inner, limits);
      expectEnd(inner);
      return { kind: 'transportID', value: undefined };
    case 2:
      return text('email-ID');
    case 3: {
      const value = readPartyNumber(inner, limits);
      expectEnd(inner);
      return { kind: 'partyNumber', value };
    }
    default: // mobileUIM, isupNumber and later ones: skipped with their open type
      return {
        kind: (['mobileUIM', 'isupNumber'] as const)[index - 4] ?? 'unknown',
        value: undefined,
      };
  }
}

/** AliasAddress: dialedDigits | h323-ID | extension alternatives (url-ID, transportID, …). */
export function readAlias(r: H225Reader, limits: H323Limits): Alias {
  const choice = r.choice(2, true);
  if (choice.extension) return readAliasExtension(r, limits, choice.index);
  if (choice.index === 0) return { kind: 'dialedDigits', value: readDigits(r) };
  return { kind: 'h323-ID', value: r.characterString(1, 256, BMP_ALPHABET, 256) };
}

export function readAliases(r: H225Reader, limits: H323Limits): Alias[] {
  const count = readCount(r, limits);
  const aliases: Alias[] = [];
  for (let i = 0; i < count && !r.failed; i++) aliases.push(readAlias(r, limits));
  return aliases;
}

/** GatekeeperIdentifier ::= BMPString (SIZE(1..128)). */
export function readGatekeeperId(r: H225Reader): string {
  return r.characterString(1, 128, BMP_ALPHABET, 128);
}
