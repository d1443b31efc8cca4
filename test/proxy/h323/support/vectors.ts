// H.323 test vectors: the protocols.md §2 vectors (doc-vectors.ts), and a set built with the
// test-side encoder that covers each form of the gatekeeper-ID syntax, every alias kind, long (two-octet) lengths and
// non-ASCII BMP text. tshark.test.ts checks that tshark reads every one as pbxgate does.

import type { Alias } from '../../../../src/proxy/h323/h225-common.ts';
import { IP, IP6, VENDOR, grj, grq, rrj, rrq, setup } from './builders.ts';
import type { EndpointTypeSpec } from './h225-encode.ts';
import { rasFacility } from './h225-messages.ts';
import {
  DOC_GRQ_FACILITY,
  DOC_RRQ_FACILITY,
  DOC_SETUP_UUIE,
  setupFromUuie,
} from './doc-vectors.ts';

/** What a vector decodes to; `route` is the sniffer's verdict on it as a first message. */
export interface Vector {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly route:
    | { readonly services: readonly string[]; readonly identity: string | undefined }
    | { readonly reject: string };
}

const routes = (
  services: readonly string[],
  identity: string | undefined = 'alice',
): Vector['route'] => ({
  services,
  identity,
});

/** A call without registration proves no identity. */
const call = (domain: string): Vector['route'] => ({ services: [domain], identity: undefined });

const LONG_GK = `${'g'.repeat(60)}.example.com`.padEnd(128, 'x');
const LONG_H323_ID = 'Ä'.repeat(256);
const LONG_URL = `h323:${'u'.repeat(495)}@example.com`;
const GATEWAY: EndpointTypeSpec = {
  nonStandardData: { h221: VENDOR, data: Uint8Array.of(1, 2, 3) },
  vendor: { ...VENDOR, productId: 'GW', versionId: '1.0' },
  gateway: [5, 7],
  mc: false,
};

/** Every vector: the sniffer's verdict on each, and tshark's reading of each, are tested. */
export const vectors: readonly Vector[] = [
  { name: 'protocols.md GRQ', bytes: DOC_GRQ_FACILITY, route: routes(['pbx.example.com']) },
  {
    name: 'protocols.md RRQ with physical and registration location',
    bytes: DOC_RRQ_FACILITY,
    route: routes(['pbx.example.com/site2', 'pbx.example.com']),
  },
  {
    name: 'GRQ without gatekeeper identifier (Avaya-like: nonStandardData OID, digits)',
    bytes: rasFacility(
      grq(undefined, {
        nonStandardData: { object: '2.16.840.1.113778.4.2.1', data: Uint8Array.of(0, 1) },
        endpointAlias: [{ kind: 'dialedDigits', value: '1000' }],
      }),
    ),
    route: { reject: 'h323.no-gatekeeper-id' },
  },
  {
    name: 'GRQ gatekeeper only',
    bytes: rasFacility(grq('PBX.Example.com')),
    route: routes(['pbx.example.com']),
  },
  {
    name: 'GRQ physical location',
    bytes: rasFacility(grq('desk7@pbx.example.com')),
    route: routes(['pbx.example.com']),
  },
  {
    name: 'GRQ registration location',
    bytes: rasFacility(grq('pbx.example.com/Site2')),
    route: routes(['pbx.example.com/site2', 'pbx.example.com']),
  },
  {
    name: 'GRQ primary:secondary location',
    bytes: rasFacility(grq('pbx.example.com/main:backup')),
    route: routes(['pbx.example.com/main', 'pbx.example.com']),
  },
  {
    name: 'GRQ all three parts with standby locations',
    bytes: rasFacility(grq('desk7@pbx.example.com/main:backup')),
    route: routes(['pbx.example.com/main', 'pbx.example.com']),
  },
  {
    name: 'GRQ non-ASCII BMP identifier and alias',
    bytes: rasFacility(
      grq('zürich@pbx.example.com/süd', {
        endpointAlias: [{ kind: 'h323-ID', value: 'Jürgen Øst' }],
      }),
    ),
    route: routes(['pbx.example.com/süd', 'pbx.example.com'], 'Jürgen Øst'),
  },
  {
    name: 'GRQ CJK and Cyrillic identifier',
    bytes: rasFacility(grq('東京@ПБКС.example/站点')),
    route: routes(['ПБКС.example/站点', 'ПБКС.example']),
  },
  {
    name: 'GRQ with a 128-character identifier and long aliases (two-octet lengths)',
    bytes: rasFacility(
      grq(LONG_GK, {
        callServices: true,
        endpointAlias: [
          { kind: 'h323-ID', value: LONG_H323_ID },
          { kind: 'url-ID', value: LONG_URL },
          { kind: 'email-ID', value: 'alice@example.com' },
        ],
      }),
    ),
    route: routes([LONG_GK], LONG_H323_ID),
  },
  {
    name: 'GRQ from a gateway with vendor, non-standard data and IPv6',
    bytes: rasFacility(
      grq('pbx.example.com', { endpointType: GATEWAY, rasAddress: { ip: IP6, port: 1719 } }),
    ),
    route: routes(['pbx.example.com']),
  },
  {
    name: 'RRQ without gatekeeper identifier',
    bytes: rasFacility(rrq(undefined)),
    route: { reject: 'h323.no-gatekeeper-id' },
  },
  {
    name: 'RRQ gatekeeper only',
    bytes: rasFacility(rrq('pbx.example.com')),
    route: routes(['pbx.example.com']),
  },
  {
    name: 'RRQ without h245Tunnelling (innovaphone sometimes omits it)',
    bytes: rasFacility(rrq('pbx.example.com/site2'), { h245Tunnelling: false }),
    route: routes(['pbx.example.com/site2', 'pbx.example.com']),
  },
  {
    name: 'RRQ primary:secondary location',
    bytes: rasFacility(rrq('branch1@pbx.example.com/a:b')),
    route: routes(['pbx.example.com/a', 'pbx.example.com']),
  },
  {
    name: 'RRQ with many addresses, party number and transport aliases',
    bytes: rasFacility(
      rrq('pbx.example.com', {
        nonStandardData: { object: '1.3.6.1.4.1.6666', data: new Uint8Array(200) },
        callSignalAddress: [
          { ip: IP, port: 1720 },
          { ip: IP6, port: 1720 },
        ],
        terminalType: GATEWAY,
        terminalAlias: [
          { kind: 'partyNumber', value: '4930123' },
          { kind: 'transportID', address: { ip: IP, port: 1720 } },
          { kind: 'url-ID', value: 'h323:gw@pbx.example.com' },
        ],
      }),
    ),
    route: routes(['pbx.example.com'], '4930123'),
  },
  {
    name: 'RRQ with a 256-character non-ASCII h323-ID',
    bytes: rasFacility(
      rrq('pbx.example.com/site2', { terminalAlias: [{ kind: 'h323-ID', value: LONG_H323_ID }] }),
    ),
    route: routes(['pbx.example.com/site2', 'pbx.example.com'], LONG_H323_ID),
  },
  {
    name: 'protocols.md Setup to h323-ID bob@example.com',
    bytes: setupFromUuie(DOC_SETUP_UUIE),
    route: call('example.com'),
  },
  {
    name: 'Setup to email-ID',
    bytes: setup([{ kind: 'email-ID', value: 'Bob@Example.COM' }]),
    route: call('example.com'),
  },
  {
    name: 'Setup to url-ID with port and parameters',
    bytes: setup([{ kind: 'url-ID', value: 'h323:bob@example.com:1720;user=phone' }]),
    route: call('example.com'),
  },
  {
    name: 'Setup to a non-ASCII h323-ID with digits beside it',
    bytes: setup([
      { kind: 'dialedDigits', value: '4930#*,' },
      { kind: 'h323-ID', value: 'Bjørn Ærø <bjørn@example.com.>' },
    ]),
    route: call('example.com'),
  },
  {
    name: 'Setup with every optional root field and a long url-ID',
    bytes: setup([{ kind: 'url-ID', value: LONG_URL }], {
      h245Address: { ip: IP, port: 5000 },
      sourceInfo: GATEWAY,
      destCallSignalAddress: { ip: IP6, port: 1720 },
      destExtraCallInfo: [{ kind: 'email-ID', value: 'x@other.example' }],
      destExtraCRV: [1, 65535],
    }),
    route: call('example.com'),
  },
  {
    name: 'Setup to digits only',
    bytes: setup([{ kind: 'dialedDigits', value: '12345' }]),
    route: { reject: 'h323.no-called-domain' },
  },
  {
    name: 'Setup without destinationAddress',
    bytes: setup(undefined),
    route: { reject: 'h323.no-called-domain' },
  },
  {
    name: 'Setup to two domains',
    bytes: setup([
      { kind: 'email-ID', value: 'bob@example.com' },
      { kind: 'h323-ID', value: 'bob@example.org' },
    ]),
    route: { reject: 'h323.ambiguous-called-domain' },
  },
  {
    name: 'RRJ securityDenial',
    bytes: rrj({ extension: 3 }),
    route: { reject: 'h323.unexpected-ras' },
  },
  {
    name: 'RRJ securityError',
    bytes: rrj({ extension: 9 }),
    route: { reject: 'h323.unexpected-ras' },
  },
  {
    name: 'RRJ duplicateAlias',
    bytes: rrj({ root: 4, aliases: [{ kind: 'h323-ID', value: 'alice' }] }),
    route: { reject: 'h323.unexpected-ras' },
  },
  {
    name: 'RRJ invalidAlias',
    bytes: rrj({ extension: 2 }),
    route: { reject: 'h323.unexpected-ras' },
  },
  {
    name: 'GRJ securityDenial',
    bytes: grj({ extension: 0 }),
    route: { reject: 'h323.unexpected-ras' },
  },
  {
    name: 'GRJ terminalExcluded',
    bytes: grj({ root: 1 }),
    route: { reject: 'h323.unexpected-ras' },
  },
];

export const alias = (kind: Alias['kind'], value: string | undefined): Alias => ({ kind, value });
