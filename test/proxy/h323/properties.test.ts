// Properties of the H.323 plug-in (CONVENTIONS §5) over every test vector and random input: no
// input makes the sniffer or watcher throw or hang; truncation needs more or is refused; a mutated
// message routes only to a name its own bytes spell; random bytes never route; a watcher's verdict
// does not depend on how the stream is cut.

import { test } from 'node:test';
import fc from 'fast-check';
import { createH323Protocol } from '../../../src/proxy/h323/protocol.ts';
import type { SniffResult, WatchVerdict } from '../../../src/proxy/protocol.ts';
import { encodeQ931, tpkt } from './support/h225-messages.ts';
import { DOC_GRQ_FACILITY, DOC_RRQ_FACILITY } from './support/doc-vectors.ts';
import { vectors } from './support/vectors.ts';

const TIMEOUT = { timeout: 120_000 };
const h323 = createH323Protocol();

/** ASCII upper case folded, on octets (as the sniffer folds names). */
function fold(bytes: Uint8Array): Uint8Array {
  return bytes.map((b) => (b >= 0x41 && b <= 0x5a ? b + 0x20 : b));
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack).indexOf(Buffer.from(needle)) >= 0;
}

/** UTF-16BE (BMPString) and, for ASCII text, IA5String octets of `text`. */
function encodings(text: string): Uint8Array[] {
  const codes = Array.from({ length: text.length }, (_, i) => text.charCodeAt(i));
  const bmp = Uint8Array.from(codes.flatMap((code) => [code >> 8, code & 0xff]));
  return codes.every((code) => code < 0x80) ? [bmp, Uint8Array.from(codes)] : [bmp];
}

/**
 * A route names only what the message spells: every service's text (the gatekeeper, and the
 * location as a separate part) occurs in the bytes as BMP or IA5 characters.
 */
function spelledBy(bytes: Uint8Array, result: SniffResult): boolean {
  if (result.kind !== 'route') return true;
  const folded = fold(bytes);
  return result.services.every((service) =>
    service.split('/').every((part) => encodings(part).some((e) => contains(folded, fold(e)))),
  );
}

function sniffSafely(bytes: Uint8Array): SniffResult {
  const result = h323.sniff(bytes);
  if (result.kind === 'route' && (result.size > bytes.length || result.services.length === 0)) {
    throw new Error(`impossible route ${JSON.stringify(result)}`);
  }
  return result;
}

test(
  'truncation at every offset of every vector needs more, never routes or throws',
  TIMEOUT,
  (t) => {
    for (const { name, bytes } of vectors) {
      for (let n = 0; n < bytes.length; n++) {
        t.assert.equal(sniffSafely(bytes.subarray(0, n)).kind, 'need-more', `${name} at ${n}`);
      }
    }
  },
);

test('a UUIE cut short inside consistent TPKT and IE lengths is refused', TIMEOUT, (t) => {
  for (const { name, bytes } of vectors) {
    const start = bytes.indexOf(0x7e, 9) + 4; // the PER octets after `7e LL LL 05`
    const header = [...bytes.subarray(4, start - 4)];
    for (let n = 0; n < bytes.length - start; n++) {
      const uuie = bytes.subarray(start, start + n);
      const length = n + 1;
      const message = tpkt(
        Uint8Array.from([...header, 0x7e, length >> 8, length & 0xff, 0x05, ...uuie]),
      );
      t.assert.equal(sniffSafely(message).kind, 'reject', `${name} cut to ${n} octets`);
    }
  }
});

/** Each octet XOR each bit, and ±1 (a length field one off), as whole copies. */
function* mutations(bytes: Uint8Array): Generator<Uint8Array> {
  for (let at = 0; at < bytes.length; at++) {
    const octet = bytes[at] ?? 0;
    for (const value of [
      octet + 1,
      octet - 1,
      ...[0, 1, 2, 3, 4, 5, 6, 7].map((k) => octet ^ (1 << k)),
    ]) {
      const copy = Uint8Array.from(bytes);
      copy[at] = value & 0xff;
      yield copy;
    }
  }
}

test('bit flips and length fields ±1 never throw and route only to spelled names', TIMEOUT, (t) => {
  let routed = 0;
  // The long vectors add time, not cases: their repeated characters are covered by the short ones.
  for (const { bytes } of vectors.filter((v) => v.bytes.length <= 700)) {
    for (const copy of mutations(bytes)) {
      const result = sniffSafely(copy);
      if (result.kind === 'route') routed++;
      if (!spelledBy(copy, result)) {
        t.assert.fail(`${JSON.stringify(result)} from ${Buffer.from(copy).toString('hex')}`);
      }
    }
  }
  t.assert.equal(routed > 0, true); // mutations in a gatekeeper's text or in padding still route
});

test(
  'random mutations of the protocols.md vectors never throw and route only to spelled names',
  TIMEOUT,
  () => {
    fc.assert(
      fc.property(
        fc.constantFrom(DOC_GRQ_FACILITY, DOC_RRQ_FACILITY),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 6,
        }),
        (vector, edits) => {
          const copy = Uint8Array.from(vector);
          for (const [at, value] of edits) copy[at % copy.length] = value;
          return spelledBy(copy, sniffSafely(copy));
        },
      ),
    );
  },
);

test('random bytes never route', TIMEOUT, () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => sniffSafely(bytes).kind !== 'route'),
  );
});

test('random PER in a well-formed FACILITY or SETUP never throws and never routes', TIMEOUT, () => {
  fc.assert(
    fc.property(
      fc.constantFrom(0x62, 0x05),
      fc.uint8Array({ minLength: 1, maxLength: 400 }),
      (type, per) => {
        const result = sniffSafely(tpkt(encodeQ931({ messageType: type, userUser: per })));
        return result.kind === 'reject';
      },
    ),
  );
});

/** The watcher's verdicts on a client stream, with the cut points given. */
function watchClient(stream: Uint8Array, cuts: readonly number[]): WatchVerdict {
  const watcher = h323.createWatcher({
    service: 'pbx.example.com',
    remoteIp: '192.0.2.7',
    suspicious: () => undefined,
  });
  const points = [...new Set([0, ...cuts.map((c) => c % (stream.length + 1)), stream.length])].sort(
    (a, b) => a - b,
  );
  let verdict: WatchVerdict = 'pass';
  for (let i = 1; i < points.length && verdict === 'pass'; i++) {
    verdict = watcher.fromClient(stream.subarray(points[i - 1], points[i]));
    watcher.fromServer(stream.subarray(points[i - 1], points[i]));
  }
  return verdict;
}

test(
  'the watcher never throws, and its verdict on a stream does not depend on the cuts',
  TIMEOUT,
  () => {
    const pieces = fc.oneof(
      fc.constantFrom(...vectors.map((v) => v.bytes)),
      fc.uint8Array({ maxLength: 40 }),
      fc.constantFrom(Uint8Array.of(3, 0, 0, 4)),
    );
    fc.assert(
      fc.property(
        fc.array(pieces, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (list, cuts) => {
          const stream = Uint8Array.from(list.flatMap((p) => [...p]));
          const whole = watchClient(stream, []);
          return JSON.stringify(watchClient(stream, cuts)) === JSON.stringify(whole);
        },
      ),
    );
  },
);
