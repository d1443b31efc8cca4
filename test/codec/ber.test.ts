// The bounded BER reader and writer (src/codec/ber.ts): X.690 vectors, LDAP's length forms,
// bounds, and properties (no throw on any bytes, round trips, prefixes are incomplete).

import { test } from 'node:test';
import fc from 'fast-check';
import {
  encodeBerElement,
  encodeBerEnumerated,
  encodeBerInteger,
  encodeBerOctetString,
  frameBerElement,
  readBerElement,
  readBerElementHeader,
  readBerEnumerated,
  readBerHeader,
  readBerInteger,
  readBerOctetString,
} from '../../src/codec/ber.ts';

const TIMEOUT = { timeout: 30_000 };

function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

const lengths: readonly [string, string, number, number][] = [
  ['short form', '30 05', 5, 2],
  ['short form zero', '04 00', 0, 2],
  ['81', '30 81 80', 0x80, 3],
  ['82', '30 82 01 00', 0x100, 4],
  ['83', '30 83 01 00 00', 0x10000, 5],
  ['84', '30 84 01 00 00 00', 0x1000000, 6],
  ['non-minimal 84 (Windows)', '30 84 00 00 00 4a', 0x4a, 6],
  ['non-minimal 81', '30 81 05', 5, 3],
  ['84 at its maximum', '30 84 ff ff ff ff', 0xffffffff, 6],
];

for (const [name, bytes, length, size] of lengths) {
  test(`reads a length in the ${name}`, (t) => {
    const identifier = hex(bytes)[0] ?? 0;
    t.assert.deepEqual(readBerHeader(hex(bytes)), {
      kind: 'ok',
      value: {
        identifier,
        tagClass: 'universal',
        constructed: identifier === 0x30,
        tagNumber: identifier & 0x1f,
        length,
      },
      size,
    });
  });
}

const badHeaders: readonly [string, string, string][] = [
  ['the indefinite length', '30 80 02 01 01 00 00', 'ber.indefinite-length'],
  ['five length octets', '30 85 00 00 00 00 05', 'ber.length-too-long'],
  ['the reserved length octet ff', '30 ff', 'ber.length-too-long'],
  ['a high tag number with a leading 80 octet', '1f 80 21 00', 'ber.non-minimal-tag'],
  ['a high tag form for a low tag number', '7f 00 00', 'ber.non-minimal-tag'],
  ['a tag number of more than three octets', '1f 81 81 81 01 00', 'ber.tag-too-long'],
];

for (const [name, bytes, reason] of badHeaders) {
  test(`refuses ${name}`, (t) => {
    const header = readBerHeader(hex(bytes));
    t.assert.equal(header.kind === 'malformed' && header.reason, reason);
  });
}

test('reads identifier classes, the constructed bit and high tag numbers', (t) => {
  const classes = ['30 00', '60 00', 'a3 00', '89 00'].map((bytes) => {
    const header = readBerHeader(hex(bytes));
    return header.kind === 'ok'
      ? [header.value.tagClass, header.value.constructed, header.value.tagNumber]
      : [];
  });
  t.assert.deepEqual(classes, [
    ['universal', true, 16],
    ['application', true, 0],
    ['context', true, 3],
    ['context', false, 9],
  ]);
  const high = readBerHeader(hex('5f 81 00 02 ab cd'));
  t.assert.equal(high.kind === 'ok' && high.value.tagNumber, 128);
  t.assert.equal(high.kind === 'ok' && high.value.identifier, 0x5f);
  t.assert.equal(high.kind === 'ok' && high.size, 4);
});

test('a header cut short is incomplete by the octets it still needs at least', (t) => {
  t.assert.deepEqual(readBerHeader(hex('')), { kind: 'incomplete', needed: 2 });
  t.assert.deepEqual(readBerHeader(hex('30')), { kind: 'incomplete', needed: 1 });
  t.assert.deepEqual(readBerHeader(hex('30 84 00')), { kind: 'incomplete', needed: 3 });
  t.assert.deepEqual(readBerHeader(hex('1f')), { kind: 'incomplete', needed: 2 });
});

test('frames the first element of a stream, capped', (t) => {
  t.assert.deepEqual(frameBerElement(hex('30 03 02 01 05 ff'), 100), {
    kind: 'ok',
    value: {
      identifier: 0x30,
      tagClass: 'universal',
      constructed: true,
      tagNumber: 16,
      length: 3,
      start: 0,
      contentStart: 2,
      end: 5,
    },
    size: 5,
  });
  t.assert.deepEqual(frameBerElement(hex('30 05 02 01'), 100), { kind: 'incomplete', needed: 3 });
  const over = frameBerElement(hex('30 84 00 01 00 00'), 0x10000);
  t.assert.equal(over.kind === 'malformed' && over.reason, 'ber.over-cap');
});

test('an element inside a container must fit it; beyond a prefix it is incomplete', (t) => {
  // The string (2 + 5 octets from offset 2) ends at 9, past its container's end at 8.
  const over = readBerElementHeader(hex('30 06 04 05 61 62'), 2, 8);
  t.assert.equal(over.kind === 'malformed' && over.reason, 'ber.overrun');
  // A container ending at 9 with only 6 octets here: the header fits, the contents are not in yet.
  const prefix = hex('30 07 04 05 61 62');
  t.assert.equal(readBerElementHeader(prefix, 2, 9).kind, 'ok');
  t.assert.deepEqual(readBerElement(prefix, 2, 9), { kind: 'incomplete', needed: 3 });
  const empty = readBerElementHeader(prefix, 9, 9);
  t.assert.equal(empty.kind === 'malformed' && empty.reason, 'ber.overrun');
  // A header that would run past a container that is all here is malformed, not incomplete.
  const cut = readBerElementHeader(hex('30 03 02 01 05 04 84 00'), 5, 6);
  t.assert.equal(cut.kind === 'malformed' && cut.reason, 'ber.overrun');
});

const integers: readonly [string, number][] = [
  ['02 01 00', 0],
  ['02 01 7f', 127],
  ['02 01 80', -128],
  ['02 02 00 80', 128],
  ['02 02 00 97', 0x97],
  ['02 04 0a 5e 31 e8', 0x0a5e31e8],
  ['02 04 7f ff ff ff', 2147483647],
  ['02 04 80 00 00 00', -2147483648],
  ['02 02 00 05', 5], // redundant leading octet: accepted, the value is plain
  ['02 84 00 00 00 01 03', 3], // non-minimal length
];

for (const [bytes, value] of integers) {
  test(`reads INTEGER ${bytes} as ${value}`, (t) => {
    const b = hex(bytes);
    t.assert.deepEqual(readBerInteger(b, 0, b.length), { kind: 'ok', value, size: b.length });
  });
}

test('refuses INTEGERs that are empty, longer than four octets or of another tag', (t) => {
  for (const [bytes, reason] of [
    ['02 00', 'ber.bad-integer'],
    ['02 05 00 80 00 00 00', 'ber.bad-integer'],
    ['0a 01 00', 'ber.unexpected-tag'],
    ['22 01 00', 'ber.unexpected-tag'],
  ] as const) {
    const b = hex(bytes);
    const result = readBerInteger(b, 0, b.length);
    t.assert.equal(result.kind === 'malformed' && result.reason, reason, bytes);
  }
});

test('reads ENUMERATED and OCTET STRING values, the strings as views', (t) => {
  const code = hex('0a 01 31');
  t.assert.deepEqual(readBerEnumerated(code, 0, 3), { kind: 'ok', value: 49, size: 3 });
  const bytes = hex('04 03 61 62 63 80 00');
  const string = readBerOctetString(bytes, 0, bytes.length);
  t.assert.equal(string.kind === 'ok' && Buffer.from(string.value).toString(), 'abc');
  t.assert.equal(string.kind === 'ok' && string.value.buffer, bytes.buffer);
  const simple = readBerOctetString(bytes, 5, bytes.length, 0x80);
  t.assert.equal(simple.kind === 'ok' && simple.value.length, 0);
  const constructed = readBerOctetString(hex('24 00'), 0, 2);
  t.assert.equal(constructed.kind === 'malformed' && constructed.reason, 'ber.unexpected-tag');
});

const encodedIntegers: readonly [number, string][] = [
  [0, '020100'],
  [1, '020101'],
  [127, '02017f'],
  [128, '02020080'],
  [255, '020200ff'],
  [256, '02020100'],
  [-1, '0201ff'],
  [-128, '020180'],
  [-129, '0202ff7f'],
  [65535, '020300ffff'],
  [2147483647, '02047fffffff'],
  [-2147483648, '020480000000'],
];

for (const [value, bytes] of encodedIntegers) {
  test(`writes ${value} as the minimal INTEGER ${bytes}`, (t) => {
    t.assert.equal(toHex(encodeBerInteger(value)), bytes);
  });
}

test('writes minimal lengths, ENUMERATED, OCTET STRINGs and nested elements', (t) => {
  t.assert.equal(toHex(encodeBerEnumerated(49)), '0a0131');
  t.assert.equal(toHex(encodeBerOctetString('')), '0400');
  t.assert.equal(toHex(encodeBerOctetString('ab', 0x8a)), '8a026162');
  t.assert.equal(
    toHex(encodeBerElement(0x30, [encodeBerInteger(1), encodeBerElement(0x42)])),
    '30050201014200',
  );
  const lengthOf = (n: number): string =>
    toHex(encodeBerElement(0x04, [Buffer.alloc(n)]).subarray(1, 5));
  t.assert.equal(lengthOf(127).slice(0, 2), '7f');
  t.assert.equal(lengthOf(128).slice(0, 4), '8180');
  t.assert.equal(lengthOf(256).slice(0, 6), '820100');
  t.assert.equal(lengthOf(65536), '83010000');
});

test('INTEGER and OCTET STRING round-trip', TIMEOUT, () => {
  fc.assert(
    fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (value) => {
      const bytes = encodeBerInteger(value);
      const read = readBerInteger(bytes, 0, bytes.length);
      return read.kind === 'ok' && read.value === value && read.size === bytes.length;
    }),
  );
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 70_000 }),
      fc.integer({ min: 0x80, max: 0x9e }),
      (value, tag) => {
        const bytes = encodeBerOctetString(value, tag);
        const read = readBerOctetString(bytes, 0, bytes.length, tag);
        return read.kind === 'ok' && Buffer.from(read.value).equals(value);
      },
    ),
    { numRuns: 50 },
  );
});

test('every strict prefix of an element is incomplete, never malformed', TIMEOUT, () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (contents, cut) => {
      const element = encodeBerElement(0x30, [contents]);
      const prefix = element.subarray(0, cut % element.length);
      return frameBerElement(prefix, 1000).kind === 'incomplete';
    }),
  );
});

test('arbitrary bytes never make a reader throw', TIMEOUT, () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(70), fc.nat(70), (bytes, at, end) => {
      readBerHeader(bytes, at);
      frameBerElement(bytes, 40);
      readBerElementHeader(bytes, at, end);
      readBerElement(bytes, at, end);
      readBerInteger(bytes, at, end);
      readBerEnumerated(bytes, at, end);
      readBerOctetString(bytes, at, end);
    }),
  );
});

test('writers never throw on odd numbers', (t) => {
  for (const value of [Number.NaN, Infinity, -Infinity, 2 ** 40, 1.5, -0]) {
    const bytes = encodeBerInteger(value);
    t.assert.equal(readBerInteger(bytes, 0, bytes.length).kind, 'ok');
  }
});
