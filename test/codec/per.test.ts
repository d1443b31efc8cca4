// The aligned-PER reader (X.691 BASIC-PER ALIGNED): each rule on hand-made octets, reads of what
// the test-side writer wrote, sticky failures instead of exceptions, and properties over random
// programs of reads and writes.

import { test } from 'node:test';
import fc from 'fast-check';
import {
  BMP_ALPHABET,
  IA5_ALPHABET,
  PerReader,
  oidArcs,
  permittedAlphabet,
} from '../../src/codec/per.ts';
import { PerWriter, fromHex } from '../proxy/h323/support/per-writer.ts';

const reader = (text: string): PerReader => PerReader.over(fromHex(text));

test('bits are read most significant first, without alignment, and align skips the padding', (t) => {
  const r = reader('a5 f0');
  t.assert.equal(r.bit(), true);
  t.assert.equal(r.bits(3), 0b010);
  t.assert.equal(r.bits(6), 0b0101_11);
  r.align();
  t.assert.equal(r.position, 16);
  t.assert.equal(r.failed, false);
});

test('constrained whole numbers take minimal bits, one octet or two, aligned (X.691 §11.5.7)', (t) => {
  const r = reader('a0 05 00 ff 12 33 40 01 00');
  t.assert.equal(r.constrained(1, 8), 6); // 3 bits 101
  t.assert.equal(r.constrained(7, 7), 7); // range 1: no bits
  t.assert.equal(r.constrained(0, 255), 5); // range 256: aligned octet
  t.assert.equal(r.constrained(0, 65535), 255); // two aligned octets
  t.assert.equal(r.constrained(1, 65535), 4660); // RequestSeqNum: stored value - 1
  // (0..2^32-1): a 2-bit octet count 1..4, aligned, then the octets: 01 = two octets, 01 00
  t.assert.equal(r.constrained(0, 4294967295), 256);
  t.assert.equal(r.failed, false);
});

test('an extensible constraint has a leading bit; outside the root the value is unconstrained', (t) => {
  t.assert.equal(reader('00 00 11').extensibleConstrained(0, 16383), 17);
  t.assert.equal(reader('80 02 40 00').extensibleConstrained(0, 16383), 16384);
});

test('length determinants: short, two-octet, and the fragmented form refused (X.691 §11.9)', (t) => {
  t.assert.equal(reader('7f').length(16383), 127);
  t.assert.equal(reader('80 80').length(16383), 128);
  t.assert.equal(reader('bf ff').length(16383), 16383);
  const fragmented = reader('c1');
  t.assert.equal(fragmented.length(16383), 0);
  t.assert.deepEqual(fragmented.failure, { reason: 'per.fragmented', bit: 8 });
  const capped = reader('81 00');
  capped.length(255);
  t.assert.equal(capped.failure?.reason, 'per.over-cap');
});

test('CHOICE indices, extension alternatives and normally small numbers (X.691 §11.6, §23)', (t) => {
  const r = reader('02 c1 00');
  t.assert.deepEqual(r.choice(25, true), { extension: false, index: 0 });
  t.assert.deepEqual(r.preamble(0, true), { extended: true, present: [] });
  t.assert.deepEqual(reader('82').choice(2, true), { extension: true, index: 2 });
  const big = reader('c0 01 80');
  t.assert.equal(big.smallNumber(), 128); // 1, then a length octet (aligned) and the value
});

test('open types bound their reader, and skipping additions passes their octets (X.691 §19.7)', (t) => {
  // protocols.md §2.5: additions n = 9, bitmap 010000001, h245Tunnelling TRUE, genericData (2 octets).
  const r = reader('10 81 01 80 02 aa bb cc');
  const present = r.additions(64);
  t.assert.deepEqual(present, [false, true, false, false, false, false, false, false, true]);
  const tunnelling = r.openType();
  t.assert.equal(tunnelling.bit(), true);
  const generic = r.openType();
  t.assert.equal(generic.bits(16), 0xaabb);
  t.assert.equal(generic.bits(8), 0); // past the open type: fails, even though 'cc' follows
  t.assert.equal(r.failure?.reason, 'per.overrun');
  const skipping = reader('10 81 01 80 02 aa bb cc');
  skipping.skipAdditions(64);
  t.assert.equal(skipping.bits(8), 0xcc);
});

test('octet strings: fixed up to two octets unaligned, longer fixed aligned, else a length', (t) => {
  const r = reader('80 ff c0 00 02 0a 03 01 02 03');
  t.assert.equal(r.bit(), true);
  t.assert.deepEqual([...r.octetString(1, 1, 1)], [0x01]); // 7 bits of 80, 1 bit of ff
  t.assert.deepEqual([...r.octetString(4, 4, 4)], [0xc0, 0x00, 0x02, 0x0a]); // aligned first
  t.assert.deepEqual([...r.octetString(0, undefined, 16)], [1, 2, 3]);
  t.assert.equal(r.remainingBits, 0);
  const capped = reader('05 01 02 03 04 05');
  capped.octetString(0, undefined, 4);
  t.assert.equal(capped.failure?.reason, 'per.over-cap');
});

test('character strings: BMPString and IA5String, PermittedAlphabet indices (X.691 §30)', (t) => {
  // GatekeeperIdentifier BMPString(1..128): 7-bit length, aligned characters.
  const gk = reader('02 00 61 00 fc 4e 2d');
  t.assert.equal(gk.bit(), false);
  t.assert.equal(gk.characterString(1, 128, BMP_ALPHABET, 128), 'aü中');
  // h323-ID BMPString(1..256): one aligned octet.
  t.assert.equal(reader('01 00 62 00 6f').characterString(1, 256, BMP_ALPHABET, 256), 'bo');
  // url-ID IA5String(1..512): two aligned octets.
  t.assert.equal(reader('00 01 68 69').characterString(1, 512, IA5_ALPHABET, 512), 'hi');
  // dialedDigits: 4-bit indices into "#*,0123456789" (protocols.md §2.7 "12345").
  const digits = reader('02 00 45 67 80');
  t.assert.equal(digits.choice(2, true).index, 0);
  t.assert.equal(digits.characterString(1, 128, permittedAlphabet('0123456789#*,'), 128), '12345');
  const bad = reader('00 00 ff');
  t.assert.equal(bad.characterString(1, 512, IA5_ALPHABET, 512), '');
  t.assert.equal(bad.failure?.reason, 'per.bad-character');
  const short = reader('fe 00');
  short.characterString(1, 128, BMP_ALPHABET, 64);
  t.assert.equal(short.failure?.reason, 'per.over-cap');
});

test('bit strings: fixed and short unaligned, otherwise aligned with a length', (t) => {
  const r = reader('a0 03 e0');
  t.assert.deepEqual(r.bitString(3, 3, 16), { length: 3, bits: Uint8Array.of(0xa0) });
  t.assert.deepEqual(r.bitString(0, undefined, 64), { length: 3, bits: Uint8Array.of(0xe0) });
});

test('object identifiers: a length, then BER arcs', (t) => {
  const r = reader('06 00 08 91 4a 00 07');
  t.assert.equal(oidArcs(r.objectIdentifier(32)), '0.0.8.2250.0.7');
  t.assert.equal(oidArcs(fromHex('60 86 48 01 86 f8 42')), '2.16.840.1.113730');
  t.assert.equal(oidArcs(fromHex('80 01')), undefined);
  t.assert.equal(oidArcs(fromHex('86')), undefined);
  t.assert.equal(oidArcs(new Uint8Array(0)), undefined);
});

test('a failure sticks: later reads return zero values and do not move', (t) => {
  const r = reader('ff');
  t.assert.equal(r.bits(16), 0);
  t.assert.deepEqual(r.failure, { reason: 'per.overrun', bit: 0 });
  t.assert.equal(r.bit(), false);
  t.assert.equal(r.length(100), 0);
  t.assert.equal(r.octets(1).length, 0);
  t.assert.equal(r.openType().remainingBits, 0);
  t.assert.equal(r.position, 0);
  r.fail('per.out-of-range');
  t.assert.equal(r.failure?.reason, 'per.overrun');
});

type Op =
  | { kind: 'bit'; value: boolean }
  | { kind: 'constrained'; lb: number; span: number; offset: number }
  | { kind: 'length'; value: number }
  | { kind: 'bmp'; text: string; ub: number }
  | { kind: 'ia5'; text: string }
  | { kind: 'octets'; bytes: Uint8Array }
  | { kind: 'open'; bytes: Uint8Array };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.boolean().map((value) => ({ kind: 'bit' as const, value })),
  fc
    .tuple(
      fc.integer({ min: -1000, max: 1000 }),
      fc.constantFrom(0, 1, 7, 200, 255, 256, 1000, 65535, 65536, 2 ** 32 - 1),
      fc.double({ min: 0, max: 1, noNaN: true }),
    )
    .map(([lb, span, f]) => ({
      kind: 'constrained' as const,
      lb,
      span,
      offset: Math.floor(f * span),
    })),
  fc.integer({ min: 0, max: 16383 }).map((value) => ({ kind: 'length' as const, value })),
  fc
    .tuple(
      fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 40 }),
      fc.constantFrom(128, 256),
    )
    .map(([codes, ub]) => ({ kind: 'bmp' as const, text: String.fromCharCode(...codes), ub })),
  fc
    .string({
      unit: fc.integer({ min: 0, max: 127 }).map((c) => String.fromCharCode(c)),
      minLength: 1,
      maxLength: 60,
    })
    .map((text) => ({ kind: 'ia5' as const, text })),
  fc
    .uint8Array({ minLength: 5, maxLength: 5 })
    .map((bytes) => ({ kind: 'octets' as const, bytes })),
  fc
    .uint8Array({ minLength: 1, maxLength: 300 })
    .map((bytes) => ({ kind: 'open' as const, bytes })),
);

function write(w: PerWriter, op: Op): void {
  if (op.kind === 'bit') w.bit(op.value);
  else if (op.kind === 'constrained') w.constrained(op.lb + op.offset, op.lb, op.lb + op.span);
  else if (op.kind === 'length') w.length(op.value);
  else if (op.kind === 'bmp') w.bmpString(op.text, 1, op.ub);
  else if (op.kind === 'ia5') w.ia5String(op.text, 1, 512);
  else if (op.kind === 'octets') w.octetString(op.bytes, 5, 5);
  else w.openType(op.bytes);
}

function read(r: PerReader, op: Op): unknown {
  if (op.kind === 'bit') return r.bit();
  if (op.kind === 'constrained') return r.constrained(op.lb, op.lb + op.span) - op.lb;
  if (op.kind === 'length') return r.length(16383);
  if (op.kind === 'bmp') return r.characterString(1, op.ub, BMP_ALPHABET, op.ub);
  if (op.kind === 'ia5') return r.characterString(1, 512, IA5_ALPHABET, 512);
  if (op.kind === 'octets') return [...r.octetString(5, 5, 5)];
  return [...r.octets(r.openType().remainingBits / 8)];
}

function expected(op: Op): unknown {
  if (op.kind === 'bit') return op.value;
  if (op.kind === 'constrained') return op.offset;
  if (op.kind === 'length') return op.value;
  if (op.kind === 'bmp' || op.kind === 'ia5') return op.text;
  return [...op.bytes];
}

test('whatever the writer writes, the reader reads back, ending where the writer ended', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 12 }), (ops) => {
      const w = new PerWriter();
      for (const op of ops) write(w, op);
      const r = PerReader.over(w.toBytes());
      for (const op of ops) {
        const value = op.kind === 'open' ? [...r.openType().octets(op.bytes.length)] : read(r, op);
        if (JSON.stringify(value) !== JSON.stringify(expected(op))) return false;
      }
      return !r.failed && r.position === w.bitLength;
    }),
  );
});

test('any bytes and any program of reads never throw and always stop inside the bytes', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 64 }),
      fc.array(opArb, { maxLength: 20 }),
      (bytes, ops) => {
        const r = PerReader.over(bytes);
        for (const op of ops) read(r, op);
        r.skipAdditions(64);
        r.smallNumber();
        r.bitString(0, undefined, 1000);
        r.objectIdentifier(32);
        return r.position <= bytes.length * 8;
      },
    ),
  );
});
