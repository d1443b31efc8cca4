// Test-side encoders for whole call-signalling messages: H323-UserInformation (bodies, genericData,
// the H.460.17 wrapper of tunnelled RAS), the Q.931 message around it and its TPKT.

import {
  type AliasSpec,
  type EndpointTypeSpec,
  H225_OID,
  type TransportSpec,
  writeAliases,
  writeEndpointType,
  writeTransport,
} from './h225-encode.ts';
import { PerWriter } from './per-writer.ts';

export type ContentSpec =
  | { readonly raw: Uint8Array }
  | { readonly text: string }
  | { readonly number32: number }
  | { readonly bool: boolean }
  | { readonly nested: readonly GenericDataSpec[] };

export interface ParameterSpec {
  readonly id: number;
  readonly content?: ContentSpec;
}

export interface GenericDataSpec {
  /** A standard id (0..16383), or an OID. */
  readonly id: number | { readonly oid: string };
  readonly parameters?: readonly ParameterSpec[];
}

function writeGenericId(w: PerWriter, id: number | { readonly oid: string }): PerWriter {
  if (typeof id === 'number') return w.choice(0, 3, true).bit(false).constrained(id, 0, 16383);
  return w.choice(1, 3, true).objectIdentifier(id.oid);
}

function writeContent(w: PerWriter, content: ContentSpec): PerWriter {
  if ('raw' in content) return w.choice(0, 12, true).octetString(content.raw, 0, undefined);
  if ('text' in content) return w.choice(1, 12, true).ia5String(content.text, 0, undefined);
  if ('bool' in content) return w.choice(3, 12, true).bit(content.bool);
  if ('number32' in content) {
    return w.choice(6, 12, true).constrained(content.number32, 0, 4294967295);
  }
  w.choice(11, 12, true).constrained(content.nested.length, 1, 16);
  for (const data of content.nested) writeGenericData(w, data);
  return w;
}

export function writeGenericData(w: PerWriter, data: GenericDataSpec): PerWriter {
  const { parameters } = data;
  writeGenericId(w.preamble(false, [parameters !== undefined]), data.id);
  if (parameters === undefined) return w;
  w.constrained(parameters.length, 1, 512);
  for (const parameter of parameters) {
    const { content } = parameter;
    writeGenericId(w.preamble(false, [content !== undefined]), parameter.id);
    if (content !== undefined) writeContent(w, content);
  }
  return w;
}

/** H.460.17: feature 17, one parameter 1 (raw) per tunnelled RasMessage. */
export function h46017(...ras: readonly Uint8Array[]): GenericDataSpec {
  return { id: 17, parameters: ras.map((raw) => ({ id: 1, content: { raw } })) };
}

export interface SetupSpec {
  readonly h245Address?: TransportSpec;
  readonly sourceAddress?: readonly AliasSpec[];
  readonly sourceInfo?: EndpointTypeSpec;
  readonly destinationAddress?: readonly AliasSpec[];
  readonly destCallSignalAddress?: TransportSpec;
  readonly destExtraCallInfo?: readonly AliasSpec[];
  readonly destExtraCRV?: readonly number[];
  readonly conferenceID?: Uint8Array;
}

const GUID = Uint8Array.from({ length: 16 }, (_, i) => 0x10 + i);
const CALL_ID = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);

function writeSetup(w: PerWriter, spec: SetupSpec): PerWriter {
  const { h245Address, sourceAddress, destinationAddress, destCallSignalAddress } = spec;
  const { destExtraCallInfo, destExtraCRV } = spec;
  w.preamble(true, [
    h245Address !== undefined,
    sourceAddress !== undefined,
    destinationAddress !== undefined,
    destCallSignalAddress !== undefined,
    destExtraCallInfo !== undefined,
    destExtraCRV !== undefined,
    false, // callServices
  ]);
  w.objectIdentifier(H225_OID);
  if (h245Address !== undefined) writeTransport(w, h245Address);
  if (sourceAddress !== undefined) writeAliases(w, sourceAddress);
  writeEndpointType(w, spec.sourceInfo ?? { terminal: true });
  if (destinationAddress !== undefined) writeAliases(w, destinationAddress);
  if (destCallSignalAddress !== undefined) writeTransport(w, destCallSignalAddress);
  if (destExtraCallInfo !== undefined) writeAliases(w, destExtraCallInfo);
  if (destExtraCRV !== undefined) {
    w.length(destExtraCRV.length);
    for (const crv of destExtraCRV) w.constrained(crv, 0, 65535);
  }
  w.bit(false); // activeMC
  w.octets(spec.conferenceID ?? GUID);
  w.choice(0, 3, true); // conferenceGoal create
  w.choice(0, 4, true); // callType pointToPoint
  // Version 4+ mandatory additions: callIdentifier, mediaWaitForConnect, canOverlapSend,
  // multipleCalls, maintainConnection.
  const bool = (): PerWriter => new PerWriter().bit(false);
  return w.additions(
    28,
    new Map([
      [2, new PerWriter().bit(false).octets(CALL_ID)],
      [7, bool()],
      [8, bool()],
      [10, bool()],
      [11, bool()],
    ]),
  );
}

export type BodySpec =
  | { readonly kind: 'setup'; readonly setup: SetupSpec }
  | { readonly kind: 'callProceeding' | 'alerting' | 'connect' | 'information' }
  | { readonly kind: 'releaseComplete'; readonly reason?: number }
  | { readonly kind: 'facility'; readonly reason?: number }
  /** An extension alternative (empty = 1), its value given as a complete encoding. */
  | { readonly kind: 'extension'; readonly index: number; readonly value?: Uint8Array };

function writeRootBody(
  w: PerWriter,
  body: Exclude<BodySpec, { kind: 'setup' | 'extension' }>,
): PerWriter {
  const oid = (index: number): PerWriter => w.choice(index, 7, true);
  switch (body.kind) {
    case 'callProceeding': // {OID, destinationInfo, h245Address OPT, ...}
    case 'alerting':
      oid(body.kind === 'alerting' ? 3 : 1).preamble(false, [false]);
      return writeEndpointType(w.objectIdentifier(H225_OID), { terminal: true });
    case 'connect': // {OID, h245Address OPT, destinationInfo, conferenceID, ...}
      oid(2).preamble(false, [false]).objectIdentifier(H225_OID);
      return writeEndpointType(w, { gateway: [5] }).octets(GUID);
    case 'information':
      return oid(4).preamble(false, []).objectIdentifier(H225_OID);
    case 'releaseComplete':
      oid(5)
        .preamble(false, [body.reason !== undefined])
        .objectIdentifier(H225_OID);
      return body.reason === undefined ? w : w.choice(body.reason, 12, true);
    case 'facility': // {OID, alternativeAddress OPT, aliases OPT, conferenceID OPT, reason, ...}
      oid(6).preamble(false, [false, false, true]).objectIdentifier(H225_OID).octets(GUID);
      return w.choice(body.reason ?? 3, 4, true);
  }
}

function writeBody(w: PerWriter, body: BodySpec): PerWriter {
  if (body.kind === 'setup') return writeSetup(w.choice(0, 7, true), body.setup);
  if (body.kind === 'extension') {
    return w.extensionChoice(body.index, body.value ?? new Uint8Array(0));
  }
  return writeRootBody(w, body);
}

export interface UserInformationSpec {
  readonly body: BodySpec;
  readonly h245Tunnelling?: boolean;
  readonly genericData?: readonly GenericDataSpec[];
  /** H4501SupplementaryService and other additions (9 in the type) by index, as encodings. */
  readonly additions?: ReadonlyMap<number, PerWriter | Uint8Array>;
  readonly userData?: Uint8Array;
}

/** H323-UserInformation with its H323-UU-PDU. */
export function encodeUserInformation(spec: UserInformationSpec): Uint8Array {
  const additions = new Map(spec.additions);
  if (spec.h245Tunnelling !== undefined) additions.set(1, new PerWriter().bit(spec.h245Tunnelling));
  if (spec.genericData !== undefined) {
    const list = new PerWriter().length(spec.genericData.length);
    for (const data of spec.genericData) writeGenericData(list, data);
    additions.set(8, list);
  }
  const w = new PerWriter().preamble(false, [spec.userData !== undefined]);
  w.preamble(additions.size > 0, [false]);
  writeBody(w, spec.body);
  if (additions.size > 0) w.additions(9, additions);
  if (spec.userData !== undefined) {
    w.preamble(false, []).constrained(5, 0, 255);
    w.octetString(spec.userData, 1, 131);
  }
  return w.toBytes();
}

export type InformationElement =
  { readonly id: number; readonly value: Uint8Array } | { readonly single: number };

export interface Q931Spec {
  readonly callReference?: number;
  /** The call reference flag: set in messages from the side that did not allocate the CRV. */
  readonly fromDestination?: boolean;
  readonly messageType: number;
  /** Information elements before the User-user IE. */
  readonly elements?: readonly InformationElement[];
  /** The PER H323-UserInformation; absent: no User-user IE. */
  readonly userUser?: Uint8Array;
  readonly after?: readonly InformationElement[];
}

function elementBytes(elements: readonly InformationElement[]): number[] {
  return elements.flatMap((e) => ('single' in e ? [e.single] : [e.id, e.value.length, ...e.value]));
}

export function encodeQ931(spec: Q931Spec): Uint8Array {
  const crv = spec.callReference ?? 0;
  const out = [
    0x08,
    2,
    ((crv >> 8) & 0x7f) | (spec.fromDestination === true ? 0x80 : 0),
    crv & 0xff,
  ];
  out.push(spec.messageType, ...elementBytes(spec.elements ?? []));
  if (spec.userUser !== undefined) {
    const length = spec.userUser.length + 1; // H.225.0 §7.2.2.1: counts the protocol discriminator
    out.push(0x7e, length >> 8, length & 0xff, 0x05, ...spec.userUser);
  }
  out.push(...elementBytes(spec.after ?? []));
  return Uint8Array.from(out);
}

/** RFC 1006 §6: version 3, reserved 0, length including the header. */
export function tpkt(payload: Uint8Array): Uint8Array {
  const length = payload.length + 4;
  return Uint8Array.from([3, 0, length >> 8, length & 0xff, ...payload]);
}

export const FACILITY = 0x62;
export const SETUP = 0x05;
export const RELEASE_COMPLETE = 0x5a;
export const CALL_PROCEEDING = 0x02;

/** protocols.md §2.5: FACILITY, CRV 0, body empty, h245Tunnelling TRUE, genericData 17/1. */
export function rasFacility(
  ras: Uint8Array | readonly Uint8Array[],
  options: { readonly h245Tunnelling?: boolean; readonly fromDestination?: boolean } = {},
): Uint8Array {
  const list = ras instanceof Uint8Array ? [ras] : ras;
  const userUser = encodeUserInformation({
    body: { kind: 'extension', index: 1 },
    ...(options.h245Tunnelling === false ? {} : { h245Tunnelling: true }),
    genericData: [h46017(...list)],
  });
  const fromDestination = options.fromDestination === true;
  return tpkt(encodeQ931({ messageType: FACILITY, userUser, fromDestination }));
}

/** A SETUP with the bearer capability IE H.225.0 requires, CRV 0x1234. */
export function setupMessage(
  setup: SetupSpec,
  extra: Partial<UserInformationSpec> = {},
): Uint8Array {
  const userUser = encodeUserInformation({ body: { kind: 'setup', setup }, ...extra });
  const bearer = { id: 0x04, value: Uint8Array.of(0x88, 0x90, 0xa5) };
  return tpkt(
    encodeQ931({ callReference: 0x1234, messageType: SETUP, elements: [bearer], userUser }),
  );
}
