// Builders of the messages the H.323 tests use most: GRQ, RRQ, GRJ and RRJ tunnelled per
// H.460.17, and SETUP, each with plausible defaults (alice, seq 7/8, 192.0.2.10) and overrides.

import {
  type AliasSpec,
  type GrqSpec,
  type RejectSpec,
  type RrqSpec,
  encodeGrj,
  encodeGrq,
  encodeRrj,
  encodeRrq,
} from './h225-encode.ts';
import { type SetupSpec, rasFacility, setupMessage } from './h225-messages.ts';

export const IP = [192, 0, 2, 10];
export const IP6 = [0x20, 0x01, 0x0d, 0xb8, ...Array<number>(11).fill(0), 0x0a];
export const VENDOR = { country: 4, extension: 0, manufacturer: 0x0102 };

export function grq(
  gatekeeperIdentifier: string | undefined,
  extra: Partial<GrqSpec> = {},
): Uint8Array {
  return encodeGrq({
    seq: 7,
    rasAddress: { ip: IP, port: 1719 },
    endpointType: { terminal: true },
    ...(gatekeeperIdentifier === undefined ? {} : { gatekeeperIdentifier }),
    endpointAlias: [{ kind: 'h323-ID', value: 'alice' }],
    ...extra,
  });
}

export function rrq(
  gatekeeperIdentifier: string | undefined,
  extra: Partial<RrqSpec> = {},
): Uint8Array {
  return encodeRrq({
    seq: 8,
    callSignalAddress: [{ ip: IP, port: 1720 }],
    rasAddress: [{ ip: IP, port: 1719 }],
    terminalType: { vendor: VENDOR, terminal: true },
    terminalAlias: [
      { kind: 'h323-ID', value: 'alice' },
      { kind: 'dialedDigits', value: '201' },
    ],
    ...(gatekeeperIdentifier === undefined ? {} : { gatekeeperIdentifier }),
    endpointVendor: { ...VENDOR, productId: 'IP112', versionId: '13r2' },
    ...extra,
  });
}

export function rrj(reason: RejectSpec['reason'], seq = 8): Uint8Array {
  return rasFacility(encodeRrj({ seq, reason, gatekeeperIdentifier: 'pbx.example.com' }), {
    fromDestination: true,
  });
}

export function grj(reason: RejectSpec['reason'], seq = 7): Uint8Array {
  return rasFacility(encodeGrj({ seq, reason, gatekeeperIdentifier: 'pbx.example.com' }), {
    fromDestination: true,
  });
}

export function setup(
  destinationAddress: readonly AliasSpec[] | undefined,
  extra: SetupSpec = {},
): Uint8Array {
  return setupMessage({
    sourceAddress: [{ kind: 'h323-ID', value: 'alice' }],
    ...(destinationAddress === undefined ? {} : { destinationAddress }),
    ...extra,
  });
}
