import { test } from 'node:test';
import fc from 'fast-check';
import {
  writeDerBitString,
  writeDerBoolean,
  writeDerExplicit,
  writeDerGeneralizedTime,
  writeDerIa5String,
  writeDerImplicit,
  writeDerInteger,
  writeDerLength,
  writeDerNull,
  writeDerOctetString,
  writeDerOid,
  writeDerPrintableString,
  writeDerSequence,
  writeDerSet,
  writeDerTime,
  writeDerUtcTime,
  writeDerUtf8String,
} from '../../src/net/der.ts';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

const integers: [string, bigint | Buffer, string][] = [
  ['0', 0n, '020100'],
  ['127', 127n, '02017f'],
  ['128 (a leading zero keeps it positive)', 128n, '02020080'],
  ['256', 256n, '02020100'],
  ['65535', 65535n, '020300ffff'],
  ['-1', -1n, '0201ff'],
  ['-128', -128n, '020180'],
  ['-129', -129n, '0202ff7f'],
  ['an empty magnitude', Buffer.alloc(0), '020100'],
  ['a magnitude with leading zeros', Buffer.from('000080', 'hex'), '02020080'],
  ['a magnitude with its high bit set', Buffer.from('ff01', 'hex'), '020300ff01'],
];

for (const [name, value, expected] of integers) {
  test(`INTEGER ${name} is ${expected}`, (t) => {
    t.assert.equal(hex(writeDerInteger(value)), expected);
  });
}

const oids: [string, string][] = [
  ['1.2.840.10045.4.3.2', '06082a8648ce3d040302'], // ecdsa-with-SHA256
  ['1.2.840.10045.2.1', '06072a8648ce3d0201'], // id-ecPublicKey
  ['2.5.4.3', '0603550403'], // id-at-commonName
  ['2.999.3', '0603883703'], // X.690 §8.19.5 example
  ['1.3.6.1.5.5.7.3.1', '06082b06010505070301'], // id-kp-serverAuth
];

for (const [dotted, expected] of oids) {
  test(`OID ${dotted} is ${expected}`, (t) => {
    t.assert.equal(hex(writeDerOid(dotted)), expected);
  });
}

test('malformed OIDs are refused', (t) => {
  for (const bad of ['', '1', '3.1', '1.40', '1.2.', '1..2', '1.02', 'a.b']) {
    t.assert.throws(() => writeDerOid(bad), RangeError, bad);
  }
});

const lengths: [number, string][] = [
  [0, '00'],
  [127, '7f'],
  [128, '8180'],
  [255, '81ff'],
  [256, '820100'],
  [65535, '82ffff'],
  [65536, '83010000'],
];

for (const [length, expected] of lengths) {
  test(`length ${length} is ${expected}`, (t) => {
    t.assert.equal(hex(writeDerLength(length)), expected);
  });
}

test('a 200-octet OCTET STRING uses the long length form', (t) => {
  const encoded = writeDerOctetString(Buffer.alloc(200, 0xab));
  t.assert.equal(hex(encoded.subarray(0, 3)), '0481c8');
  t.assert.equal(encoded.length, 203);
});

test('a 300-octet SEQUENCE uses two length octets', (t) => {
  const encoded = writeDerSequence([writeDerOctetString(Buffer.alloc(296))]);
  t.assert.equal(hex(encoded.subarray(0, 8)), '3082012c04820128');
});

test('simple types have their DER encodings', (t) => {
  t.assert.equal(hex(writeDerBoolean(true)), '0101ff');
  t.assert.equal(hex(writeDerBoolean(false)), '010100');
  t.assert.equal(hex(writeDerNull()), '0500');
  t.assert.equal(hex(writeDerUtf8String('é')), '0c02c3a9');
  t.assert.equal(hex(writeDerPrintableString('Ab 1')), '130441622031');
  t.assert.equal(hex(writeDerIa5String('a.b')), '1603612e62');
  t.assert.equal(hex(writeDerBitString(Buffer.of(0x80), 7)), '03020780');
  t.assert.equal(hex(writeDerBitString(Buffer.alloc(0))), '030100');
  t.assert.equal(hex(writeDerSequence([])), '3000');
});

test('strings and bit strings outside their alphabet or rules are refused', (t) => {
  t.assert.throws(() => writeDerPrintableString('a@b'), RangeError);
  t.assert.throws(() => writeDerIa5String('é'), RangeError);
  t.assert.throws(() => writeDerBitString(Buffer.of(0x81), 7), RangeError); // unused bit set
  t.assert.throws(() => writeDerBitString(Buffer.alloc(0), 1), RangeError);
  t.assert.throws(() => writeDerBitString(Buffer.of(0), 8), RangeError);
});

test('SET OF sorts its elements by their encodings', (t) => {
  const a = writeDerInteger(1n);
  const b = writeDerInteger(2n);
  const long = writeDerInteger(256n);
  t.assert.equal(
    hex(writeDerSet([long, b, a])),
    hex(Buffer.concat([Buffer.of(0x31, 10), a, b, long])),
  );
});

test('context-specific tags: EXPLICIT wraps, IMPLICIT replaces the tag', (t) => {
  t.assert.equal(hex(writeDerExplicit(0, writeDerInteger(2n))), 'a003020102');
  t.assert.equal(hex(writeDerExplicit(3, writeDerSequence([]))), 'a3023000');
  t.assert.equal(hex(writeDerImplicit(2, writeDerIa5String('a'))), '820161');
  t.assert.equal(
    hex(writeDerImplicit(7, writeDerOctetString(Buffer.of(127, 0, 0, 1)))),
    '87047f000001',
  );
  t.assert.equal(hex(writeDerImplicit(1, writeDerSequence([]))), 'a100'); // stays constructed
  t.assert.throws(() => writeDerExplicit(31, writeDerNull()), RangeError);
  t.assert.throws(() => writeDerImplicit(0, Buffer.alloc(0)), RangeError);
});

test('times follow RFC 5280: UTCTime through 2049, GeneralizedTime from 2050', (t) => {
  const ascii = (bytes: Buffer): string => bytes.subarray(2).toString('latin1');
  const last2049 = new Date('2049-12-31T23:59:59.999Z');
  const first2050 = new Date('2050-01-01T00:00:00Z');
  t.assert.equal(hex(writeDerTime(last2049).subarray(0, 2)), '170d');
  t.assert.equal(ascii(writeDerTime(last2049)), '491231235959Z');
  t.assert.equal(hex(writeDerTime(first2050).subarray(0, 2)), '180f');
  t.assert.equal(ascii(writeDerTime(first2050)), '20500101000000Z');
  t.assert.equal(ascii(writeDerUtcTime(new Date('1950-01-01T00:00:00Z'))), '500101000000Z');
  t.assert.equal(
    ascii(writeDerGeneralizedTime(new Date('2024-02-29T08:07:06Z'))),
    '20240229080706Z',
  );
  t.assert.throws(() => writeDerUtcTime(first2050), RangeError);
  t.assert.throws(() => writeDerUtcTime(new Date('1949-12-31T23:59:59Z')), RangeError);
  t.assert.throws(() => writeDerTime(new Date(Number.NaN)), RangeError);
});

// Test-only readers, written from X.690 independently of the writer.
function readLength(bytes: Buffer): { length: number; size: number } {
  const first = bytes[0] ?? 0;
  if (first < 0x80) return { length: first, size: 1 };
  const count = first & 0x7f;
  return { length: bytes.readUIntBE(1, count), size: 1 + count };
}

function readInteger(content: Buffer): bigint {
  const unsigned = BigInt(`0x${content.toString('hex')}`);
  return BigInt.asIntN(content.length * 8, unsigned);
}

function readOid(content: Buffer): string {
  const subidentifiers: bigint[] = [];
  let current = 0n;
  for (const byte of content) {
    current = (current << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      subidentifiers.push(current);
      current = 0n;
    }
  }
  const [first = 0n, ...rest] = subidentifiers;
  const head = first < 80n ? [first / 40n, first % 40n] : [2n, first - 80n];
  return [...head, ...rest].join('.');
}

test('lengths decode back and use the fewest octets', () => {
  fc.assert(
    fc.property(fc.nat(), (length) => {
      const encoded = writeDerLength(length);
      const decoded = readLength(encoded);
      return (
        decoded.length === length &&
        decoded.size === encoded.length &&
        (length < 0x80 || encoded[1] !== 0) &&
        (length >= 0x80 || encoded.length === 1)
      );
    }),
  );
});

test('integers decode back and are minimal (first 9 bits never all equal)', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: -(1n << 200n), max: 1n << 200n }), (value) => {
      const encoded = writeDerInteger(value);
      const content = encoded.subarray(2);
      const first = content[0] ?? 0;
      const second = content[1];
      const isRedundant =
        second !== undefined &&
        ((first === 0 && (second & 0x80) === 0) || (first === 0xff && (second & 0x80) !== 0));
      return encoded[0] === 0x02 && readInteger(content) === value && !isRedundant;
    }),
  );
});

test('byte magnitudes encode as the same non-negative integer', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
      const magnitude = bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
      return hex(writeDerInteger(bytes)) === hex(writeDerInteger(magnitude));
    }),
  );
});

test('OIDs decode back to their dotted form', () => {
  const arc = fc.bigInt({ min: 0n, max: 1n << 70n }).map(String);
  const oid = fc
    .tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 39 }), fc.array(arc))
    .map(([a, b, rest]) => [String(a), String(b), ...rest].join('.'));
  fc.assert(
    fc.property(oid, (dotted) => {
      const encoded = writeDerOid(dotted);
      const { length, size } = readLength(encoded.subarray(1));
      return readOid(encoded.subarray(1 + size)) === dotted && length === encoded.length - 1 - size;
    }),
  );
});
