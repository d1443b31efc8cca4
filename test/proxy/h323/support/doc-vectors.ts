// The protocols.md §2 vectors (Erlang-encoded, tshark-checked there): the bytes as the document
// gives them, its "…" completed so that every length it states holds. decode.test.ts checks that
// the test-side encoder reproduces them octet for octet.

import { encodeGrq } from './h225-encode.ts';
import { PerWriter, fromHex } from './per-writer.ts';

/**
 * protocols.md §2.5: the H.460.17 FACILITY carrying `ras_grq_gkid` (§2.6). Verbatim up to the
 * GatekeeperIdentifier; the 18 octets after it (endpointAlias h323-ID "alice", supportsAssignedGK
 * FALSE) are the only encoding that fills the 69 octets §2.5 states.
 */
export const DOC_GRQ_FACILITY = fromHex(`
  03 00 00 66 08 02 00 00 62 7e 00 5a 05 28 10 01 00 10 81 01 80 50 01 40 00 11 00 00 40 00 01
  00 45 02 a0 12 33 06 00 08 91 4a 00 07 00 c0 00 02 0a 06 b7 02 03 80
  00 70 00 62 00 78 00 2e 00 65 00 78 00 61 00 6d 00 70 00 6c 00 65 00 2e 00 63 00 6f 00 6d
  01 40 04 00 61 00 6c 00 69 00 63 00 65 16 00 40 01 00`);

/** The RasMessage inside it (69 octets). */
export const DOC_GRQ = DOC_GRQ_FACILITY.subarray(33);

/**
 * protocols.md §2.6/§8: `ras_rrq_location` (129 octets) in its FACILITY (164 octets, genericData
 * `80 8d`, raw `80 81`), decoding in tshark to `164 0000 0x62 8 3 branch1@pbx.example.com/site2
 * alice 201` as §8 shows. Addresses, vendor and the four mandatory additions are reconstructed.
 */
export const DOC_RRQ_FACILITY = fromHex(`
  03 00 00 a4 08 02 00 00 62 7e 00 98 05 28 10 01 00 10 81 01 80 80 8d 01 40 00 11 00 00 40 00
  01 00 80 81 0e c0 12 34 06 00 08 91 4a 00 07 00 01 00 c0 00 02 0a 06 b8 01 00 c0 00 02 0a 06
  b7 22 00 04 00 01 02 00 02 40 04 00 61 00 6c 00 69 00 63 00 65 01 00 53 43 80 00 62 00 72 00
  61 00 6e 00 63 00 68 00 31 00 40 00 70 00 62 00 78 00 2e 00 65 00 78 00 61 00 6d 00 70 00 6c
  00 65 00 2e 00 63 00 6f 00 6d 00 2f 00 73 00 69 00 74 00 65 00 32 00 04 00 01 02 34 0b 00 02
  00 01 00 01 00 01 00 01 00`);

export const DOC_RRQ = DOC_RRQ_FACILITY.subarray(35);

/**
 * protocols.md §2.7 `uuie_setup_h323id`: H323-UserInformation of a Setup from h323-ID "alice" to
 * h323-ID "bob@example.com"; verbatim up to the destination alias, then activeMC, conferenceID,
 * create, pointToPoint, the v4 mandatory additions, and h245Tunnelling FALSE (the UU-PDU
 * extension bit the document's `20` shows).
 */
export const DOC_SETUP_UUIE = fromHex(`
  20 b0 06 00 08 91 4a 00 07 01 40 04 00 61 00 6c 00 69 00 63 00 65 02 00 01 40 0e 00 62 00 6f
  00 62 00 40 00 65 00 78 00 61 00 6d 00 70 00 6c 00 65 00 2e 00 63 00 6f 00 6d 00 10 11 12 13
  14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 00 d9 0d 80 00 00 11 00 a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 aa
  ab ac ad ae af 01 00 01 00 01 00 01 00 10 80 01 00`);

/** protocols.md §2.7: the destination alias alternatives as the document spells them. */
export const DOC_ALIASES = {
  email: fromHex('82 11 00 0e 62 6f 62 40 65 78 61 6d 70 6c 65 2e 63 6f 6d'),
  url: fromHex('80 16 00 13 68 33 32 33 3a 62 6f 62 40 65 78 61 6d 70 6c 65 2e 63 6f 6d'),
  digits: fromHex('02 00 45 67 80'),
} as const;

/** A SETUP message around a given UUIE (bearer capability IE, CRV 0x1234). */
export function setupFromUuie(uuie: Uint8Array): Uint8Array {
  const q931 = [0x08, 2, 0x12, 0x34, 0x05, 0x04, 3, 0x88, 0x90, 0xa5, 0x7e];
  const length = uuie.length + 1;
  const payload = [...q931, length >> 8, length & 0xff, 0x05, ...uuie];
  return Uint8Array.from([
    3,
    0,
    (payload.length + 4) >> 8,
    (payload.length + 4) & 0xff,
    ...payload,
  ]);
}

/** A GRQ with supportsAssignedGK, as the protocols.md vector carries. */
export function docLikeGrq(): Uint8Array {
  return encodeGrq({
    seq: 4660,
    rasAddress: { ip: [192, 0, 2, 10], port: 1719 },
    endpointType: { terminal: true },
    gatekeeperIdentifier: 'pbx.example.com',
    endpointAlias: [{ kind: 'h323-ID', value: 'alice' }],
    additions: new Map([[10, new PerWriter().bit(false)]]),
  });
}
