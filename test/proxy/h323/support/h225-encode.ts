// Test-side encoders for the H.225.0 (H323-MESSAGES, v7 module as Wireshark ships it) types the
// H.323 plug-in reads: common types and the RAS messages GRQ, RRQ, GRJ, RRJ. Written from the ASN.1
// text, bit-exact per X.691 ALIGNED, and checked against tshark (tshark.test.ts).

import { PerWriter } from './per-writer.ts';

export const H225_OID = '0.0.8.2250.0.7';

export interface TransportSpec {
  /** 4 octets: ipAddress; 16: ip6Address. */
  readonly ip: readonly number[];
  readonly port: number;
  /** The rarer alternatives, with `ip`/`port` where they have them. */
  readonly other?: 'ipSourceRoute' | 'ipxAddress' | 'netBios' | 'nsap';
}

export type NonStandardSpec =
  | { readonly object: string; readonly data: Uint8Array }
  | { readonly h221: H221Spec; readonly data: Uint8Array };

export interface H221Spec {
  readonly country: number;
  readonly extension: number;
  readonly manufacturer: number;
}

export type AliasSpec =
  | { readonly kind: 'dialedDigits' | 'h323-ID' | 'url-ID' | 'email-ID'; readonly value: string }
  | { readonly kind: 'transportID'; readonly address: TransportSpec }
  | { readonly kind: 'partyNumber'; readonly value: string };

export interface VendorSpec extends H221Spec {
  readonly productId?: string;
  readonly versionId?: string;
}

export interface EndpointTypeSpec {
  readonly nonStandardData?: NonStandardSpec;
  readonly vendor?: VendorSpec;
  readonly gatekeeper?: boolean;
  /** SupportedProtocols root indices (0 nonStandardData is not offered here). */
  readonly gateway?: readonly number[];
  readonly mcu?: boolean;
  readonly terminal?: boolean;
  readonly mc?: boolean;
  readonly undefinedNode?: boolean;
}

function writeOtherTransport(
  w: PerWriter,
  address: TransportSpec,
  other: NonNullable<TransportSpec['other']>,
): PerWriter {
  switch (other) {
    case 'ipSourceRoute': // {ip, port, route SEQUENCE OF (4), routing CHOICE {strict, loose, ...}, ...}
      w.choice(1, 7, true).bit(false).octets(address.ip).constrained(address.port, 0, 65535);
      return w.length(2).octets([10, 0, 0, 1]).octets([10, 0, 0, 2]).choice(1, 2, true);
    case 'ipxAddress': // {node (6), netnum (4), port (2)}
      return w
        .choice(2, 7, true)
        .octets([1, 2, 3, 4, 5, 6])
        .octets([0, 0, 0, 9])
        .octetString(Uint8Array.of(0x45, 0x67), 2, 2);
    case 'netBios':
      return w.choice(4, 7, true).octets(new Uint8Array(16).fill(0x41));
    case 'nsap': // OCTET STRING (SIZE(1..20))
      return w.choice(5, 7, true).octetString(Uint8Array.of(0x47, 0, 5, 0x80), 1, 20);
  }
}

export function writeTransport(w: PerWriter, address: TransportSpec): PerWriter {
  if (address.other !== undefined) return writeOtherTransport(w, address, address.other);
  const v6 = address.ip.length === 16;
  w.choice(v6 ? 3 : 0, 7, true);
  if (v6) w.bit(false); // ip6Address is extensible
  return w.octets(address.ip).constrained(address.port, 0, 65535);
}

export function writeH221(w: PerWriter, h221: H221Spec): PerWriter {
  return w
    .bit(false)
    .constrained(h221.country, 0, 255)
    .constrained(h221.extension, 0, 255)
    .constrained(h221.manufacturer, 0, 65535);
}

export function writeNonStandard(w: PerWriter, spec: NonStandardSpec): PerWriter {
  if ('object' in spec) w.choice(0, 2, true).objectIdentifier(spec.object);
  else writeH221(w.choice(1, 2, true), spec.h221);
  return w.octetString(spec.data, 0, undefined);
}

function writeVendor(w: PerWriter, vendor: VendorSpec): PerWriter {
  w.preamble(false, [vendor.productId !== undefined, vendor.versionId !== undefined]);
  writeH221(w, vendor);
  const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));
  if (vendor.productId !== undefined) w.octetString(ascii(vendor.productId), 1, 256);
  if (vendor.versionId !== undefined) w.octetString(ascii(vendor.versionId), 1, 256);
  return w;
}

/** GatekeeperInfo, McuInfo, TerminalInfo and the Caps of SupportedProtocols: `{nsd OPT, ...}`. */
function writeEmptyInfo(w: PerWriter): PerWriter {
  return w.preamble(false, [false]);
}

export function writeEndpointType(w: PerWriter, spec: EndpointTypeSpec): PerWriter {
  const { nonStandardData, vendor, gateway } = spec;
  w.preamble(false, [
    nonStandardData !== undefined,
    vendor !== undefined,
    spec.gatekeeper === true,
    gateway !== undefined,
    spec.mcu === true,
    spec.terminal === true,
  ]);
  if (nonStandardData !== undefined) writeNonStandard(w, nonStandardData);
  if (vendor !== undefined) writeVendor(w, vendor);
  if (spec.gatekeeper === true) writeEmptyInfo(w);
  if (gateway !== undefined) {
    w.preamble(false, [true, false]).length(gateway.length);
    for (const protocol of gateway) writeEmptyInfo(w.choice(protocol, 9, true));
  }
  if (spec.mcu === true) writeEmptyInfo(w);
  if (spec.terminal === true) writeEmptyInfo(w);
  return w.bit(spec.mc === true).bit(spec.undefinedNode === true);
}

/** AliasAddress: dialedDigits and h323-ID are root alternatives, the rest extension ones. */
export function writeAlias(w: PerWriter, alias: AliasSpec): PerWriter {
  switch (alias.kind) {
    case 'dialedDigits':
      return w.choice(0, 2, true).digits(alias.value);
    case 'h323-ID':
      return w.choice(1, 2, true).bmpString(alias.value, 1, 256);
    case 'url-ID':
      return w.extensionChoice(0, new PerWriter().ia5String(alias.value, 1, 512));
    case 'transportID':
      return w.extensionChoice(1, writeTransport(new PerWriter(), alias.address));
    case 'email-ID':
      return w.extensionChoice(2, new PerWriter().ia5String(alias.value, 1, 512));
    case 'partyNumber': {
      // PartyNumber e164Number: PublicPartyNumber { publicTypeOfNumber unknown, digits }.
      const party = new PerWriter().choice(0, 5, true).choice(0, 6, true).digits(alias.value);
      return w.extensionChoice(3, party);
    }
  }
}

export function writeAliases(w: PerWriter, aliases: readonly AliasSpec[]): PerWriter {
  w.length(aliases.length);
  for (const alias of aliases) writeAlias(w, alias);
  return w;
}

/** GatekeeperIdentifier ::= BMPString (SIZE(1..128)). */
export function writeGatekeeperId(w: PerWriter, id: string): PerWriter {
  return w.bmpString(id, 1, 128);
}

function writeQseries(w: PerWriter): PerWriter {
  w.preamble(false, []);
  for (let i = 0; i < 7; i++) w.bit(false);
  return w.preamble(false, []).bit(true).bit(false); // Q954Details
}

export interface GrqSpec {
  readonly seq: number;
  readonly nonStandardData?: NonStandardSpec;
  readonly rasAddress: TransportSpec;
  readonly endpointType: EndpointTypeSpec;
  readonly gatekeeperIdentifier?: string;
  readonly callServices?: boolean;
  readonly endpointAlias?: readonly AliasSpec[];
  /** Extension additions by index (12 in the type), as complete encodings. */
  readonly additions?: ReadonlyMap<number, PerWriter | Uint8Array>;
}

/** RasMessage gatekeeperRequest. */
export function encodeGrq(spec: GrqSpec): Uint8Array {
  const w = new PerWriter().choice(0, 25, true);
  const { nonStandardData, gatekeeperIdentifier, endpointAlias, additions } = spec;
  w.preamble(additions !== undefined, [
    nonStandardData !== undefined,
    gatekeeperIdentifier !== undefined,
    spec.callServices === true,
    endpointAlias !== undefined,
  ]);
  w.constrained(spec.seq, 1, 65535).objectIdentifier(H225_OID);
  if (nonStandardData !== undefined) writeNonStandard(w, nonStandardData);
  writeTransport(w, spec.rasAddress);
  writeEndpointType(w, spec.endpointType);
  if (gatekeeperIdentifier !== undefined) writeGatekeeperId(w, gatekeeperIdentifier);
  if (spec.callServices === true) writeQseries(w);
  if (endpointAlias !== undefined) writeAliases(w, endpointAlias);
  if (additions !== undefined) w.additions(12, additions);
  return w.toBytes();
}

export interface RrqSpec {
  readonly seq: number;
  readonly nonStandardData?: NonStandardSpec;
  readonly discoveryComplete?: boolean;
  readonly callSignalAddress: readonly TransportSpec[];
  readonly rasAddress: readonly TransportSpec[];
  readonly terminalType: EndpointTypeSpec;
  readonly terminalAlias?: readonly AliasSpec[];
  readonly gatekeeperIdentifier?: string;
  readonly endpointVendor: VendorSpec;
  /** Extension additions by index (27 in the type); absent: the version-4 mandatory BOOLEANs. */
  readonly additions?: ReadonlyMap<number, PerWriter | Uint8Array>;
}

const FALSE = (): PerWriter => new PerWriter().bit(false);

/** keepAlive, willSupplyUUIEs, maintainConnection and supportsAssignedGK, all FALSE. */
export const RRQ_MANDATORY_ADDITIONS: ReadonlyMap<number, PerWriter> = new Map([
  [5, FALSE()],
  [7, FALSE()],
  [8, FALSE()],
  [23, FALSE()],
]);

/** RasMessage registrationRequest. */
export function encodeRrq(spec: RrqSpec): Uint8Array {
  const w = new PerWriter().choice(3, 25, true);
  const { nonStandardData, terminalAlias, gatekeeperIdentifier } = spec;
  w.preamble(true, [
    nonStandardData !== undefined,
    terminalAlias !== undefined,
    gatekeeperIdentifier !== undefined,
  ]);
  w.constrained(spec.seq, 1, 65535).objectIdentifier(H225_OID);
  if (nonStandardData !== undefined) writeNonStandard(w, nonStandardData);
  w.bit(spec.discoveryComplete === true);
  w.length(spec.callSignalAddress.length);
  for (const address of spec.callSignalAddress) writeTransport(w, address);
  w.length(spec.rasAddress.length);
  for (const address of spec.rasAddress) writeTransport(w, address);
  writeEndpointType(w, spec.terminalType);
  if (terminalAlias !== undefined) writeAliases(w, terminalAlias);
  if (gatekeeperIdentifier !== undefined) writeGatekeeperId(w, gatekeeperIdentifier);
  writeVendor(w, spec.endpointVendor);
  w.additions(27, spec.additions ?? RRQ_MANDATORY_ADDITIONS);
  return w.toBytes();
}

/** A reject reason: a root alternative (RRJ duplicateAlias carries aliases) or an extension one. */
export type RejectReasonSpec =
  | { readonly root: number; readonly aliases?: readonly AliasSpec[] }
  | { readonly extension: number };

export interface RejectSpec {
  readonly seq: number;
  readonly reason: RejectReasonSpec;
  readonly gatekeeperIdentifier?: string;
  readonly nonStandardData?: NonStandardSpec;
}

function writeReason(w: PerWriter, reason: RejectReasonSpec, rootCount: number): PerWriter {
  if ('extension' in reason) {
    // securityError (RRJ ext 9, GRJ ext 3) carries SecurityErrors; the others are NULL.
    return w.extensionChoice(reason.extension, new PerWriter());
  }
  w.choice(reason.root, rootCount, true);
  return reason.aliases === undefined ? w : writeAliases(w, reason.aliases);
}

function rejectPrologue(index: number, spec: RejectSpec): PerWriter {
  const w = new PerWriter().choice(index, 25, true);
  w.preamble(false, [spec.nonStandardData !== undefined, spec.gatekeeperIdentifier !== undefined]);
  w.constrained(spec.seq, 1, 65535).objectIdentifier(H225_OID);
  if (spec.nonStandardData !== undefined) writeNonStandard(w, spec.nonStandardData);
  return w;
}

/** RasMessage registrationReject: the reason comes before the gatekeeper identifier. */
export function encodeRrj(spec: RejectSpec): Uint8Array {
  const w = writeReason(rejectPrologue(5, spec), spec.reason, 8);
  if (spec.gatekeeperIdentifier !== undefined) writeGatekeeperId(w, spec.gatekeeperIdentifier);
  return w.toBytes();
}

/** RasMessage gatekeeperReject: the gatekeeper identifier comes before the reason. */
export function encodeGrj(spec: RejectSpec): Uint8Array {
  const w = rejectPrologue(2, spec);
  if (spec.gatekeeperIdentifier !== undefined) writeGatekeeperId(w, spec.gatekeeperIdentifier);
  return writeReason(w, spec.reason, 4).toBytes();
}

/** Any other RasMessage root alternative, by index, with an arbitrary body (not decoded). */
export function encodeRasIndexOnly(index: number, body: Uint8Array): Uint8Array {
  return new PerWriter().choice(index, 25, true).octets(body).toBytes();
}

/** RasMessage gatekeeperConfirm { seq, protocol, nsd OPT, gkid OPT, rasAddress, ... }. */
export function encodeGcf(seq: number, gatekeeperIdentifier: string): Uint8Array {
  const w = new PerWriter().choice(1, 25, true).preamble(false, [false, true]);
  w.constrained(seq, 1, 65535).objectIdentifier(H225_OID);
  writeGatekeeperId(w, gatekeeperIdentifier);
  return writeTransport(w, { ip: [192, 0, 2, 2], port: 1719 }).toBytes();
}

/** RasMessage registrationConfirm { seq, protocol, nsd OPT, callSignalAddress, terminalAlias OPT,
 * gkid OPT, endpointIdentifier, ... }. */
export function encodeRcf(seq: number, gatekeeperIdentifier: string): Uint8Array {
  const w = new PerWriter().choice(4, 25, true).preamble(false, [false, false, true]);
  w.constrained(seq, 1, 65535).objectIdentifier(H225_OID).length(1);
  writeTransport(w, { ip: [192, 0, 2, 2], port: 1720 });
  writeGatekeeperId(w, gatekeeperIdentifier);
  return w.bmpString('ep-0001', 1, 128).toBytes();
}
