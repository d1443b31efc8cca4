// Properties of the request-head codec (CONVENTIONS §5): no throw on any bytes, generated heads
// decode to what was generated, every strict prefix is incomplete, mutations stay values, and the
// rewritten head re-parses with exactly one X-Forwarded-For.

import { test } from 'node:test';
import fc from 'fast-check';
import { FIELD_STRIDE, decodeRequestHead } from '../../../src/proxy/http/request-head.ts';
import { rewriteRequestHead } from '../../../src/proxy/http/rewrite.ts';
import { type HeadSpec, encodeHead, headSpecArb } from './arbitraries.ts';
import { bytesOf, clientRequests, smugglingCases, testLimits } from './corpus.ts';

const TIMEOUT = { timeout: 60_000 };

/** Arbitrary bytes, HTTP-looking noise, and valid heads with a byte changed. */
const bytesArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 400 }),
  fc
    .array(
      fc.constantFrom(
        'GET ',
        '/',
        ' HTTP/1.1',
        '\r\n',
        '\n',
        '\r',
        ':',
        ' ',
        'Host',
        'a',
        '\t',
        '\0',
        'Transfer-Encoding: chunked',
        'Content-Length: 1',
      ),
      { maxLength: 40 },
    )
    .map((parts) => bytesOf(parts.join(''))),
  fc.tuple(headSpecArb, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([spec, at, byte]) => {
    const bytes = encodeHead(spec);
    bytes[at % bytes.length] = byte;
    return bytes;
  }),
);

test('arbitrary bytes never make decodeRequestHead throw', TIMEOUT, () => {
  fc.assert(
    fc.property(bytesArb, (bytes) => {
      decodeRequestHead(bytes, { maxHeadBytes: 300, maxHeaders: 6 });
      decodeRequestHead(bytes, testLimits);
    }),
  );
});

test('a generated head decodes to what was generated', TIMEOUT, () => {
  fc.assert(
    fc.property(headSpecArb, (spec: HeadSpec) => {
      const bytes = encodeHead(spec);
      const result = decodeRequestHead(bytes, testLimits);
      if (result.kind !== 'ok') throw new Error(JSON.stringify(result));
      const head = result.value;
      const text = bytes.toString('latin1');
      const fields: [string, string][] = [];
      for (let at = FIELD_STRIDE; at < head.fields.length; at += FIELD_STRIDE) {
        const [nameStart, nameEnd, valueStart, valueEnd] = head.fields.slice(at, at + 4);
        fields.push([text.slice(nameStart, nameEnd), text.slice(valueStart, valueEnd)]);
      }
      const expectedFields = spec.fields.map(([name, value]) => [name, value]);
      if (spec.framing === 'length') expectedFields.push(['Content-Length', '12']);
      if (spec.framing === 'chunked') expectedFields.push(['Transfer-Encoding', 'chunked']);
      return (
        result.size === bytes.length &&
        head.method === spec.method &&
        head.target === spec.target &&
        head.version === spec.version &&
        head.host === spec.host &&
        head.framing.kind === (spec.framing === 'none' ? 'none' : spec.framing) &&
        JSON.stringify(fields) === JSON.stringify(expectedFields)
      );
    }),
  );
});

function assertPrefixesIncomplete(bytes: Uint8Array, maxHeadBytes: number): void {
  const limits = { maxHeadBytes, maxHeaders: 100 };
  for (let cut = 0; cut < bytes.length; cut++) {
    const result = decodeRequestHead(bytes.subarray(0, cut), limits);
    const expected = cut >= maxHeadBytes ? 'malformed' : 'incomplete';
    if (result.kind !== expected) throw new Error(`cut at ${cut}: ${JSON.stringify(result)}`);
  }
}

test(
  'every strict prefix of a generated head is incomplete (unless over the limit)',
  TIMEOUT,
  () => {
    fc.assert(
      fc.property(headSpecArb, fc.integer({ min: 20, max: 400 }), (spec, maxHeadBytes) => {
        const bytes = encodeHead(spec);
        assertPrefixesIncomplete(bytes, Math.max(maxHeadBytes, bytes.length));
        if (maxHeadBytes < bytes.length) assertPrefixesIncomplete(bytes, maxHeadBytes);
      }),
      { numRuns: 60 },
    );
  },
);

test('every strict prefix of a real client head is incomplete', (t) => {
  const accepted = [
    ...clientRequests.map((r) => r.raw),
    ...smugglingCases.filter((c) => c.expect === 'ok').map((c) => c.raw),
  ];
  for (const raw of accepted) {
    const head = bytesOf(raw.slice(0, raw.indexOf('\r\n\r\n', raw.search(/[^\r\n]/)) + 4));
    t.assert.doesNotThrow(() => {
      assertPrefixesIncomplete(head, testLimits.maxHeadBytes);
    });
  }
});

test('a head is read the same whatever follows it', TIMEOUT, () => {
  fc.assert(
    fc.property(headSpecArb, fc.uint8Array({ maxLength: 50 }), (spec, after) => {
      const head = encodeHead(spec);
      const alone = decodeRequestHead(head, testLimits);
      const followed = decodeRequestHead(Buffer.concat([head, after]), testLimits);
      return (
        alone.kind === 'ok' &&
        followed.kind === 'ok' &&
        followed.size === alone.size &&
        followed.value.target === alone.value.target
      );
    }),
  );
});

test(
  'the rewritten head re-parses with exactly one X-Forwarded-For carrying the client',
  TIMEOUT,
  () => {
    // An IPv4-mapped IPv6 address is written unmapped (rewrite.ts), so leave it out here.
    const ipArb = fc.oneof(
      fc.ipV4(),
      fc.ipV6().filter((ip) => !ip.startsWith('::ffff:')),
    );
    fc.assert(
      fc.property(headSpecArb, ipArb, fc.boolean(), (spec, clientIp, isTls) => {
        const original = decodeRequestHead(encodeHead(spec), testLimits);
        if (original.kind !== 'ok') return false;
        const out = rewriteRequestHead(original.value, { clientIp, isTls, trustedProxy: false });
        const again = decodeRequestHead(out, { maxHeadBytes: 65_536, maxHeaders: 200 });
        if (again.kind !== 'ok' || again.size !== out.length) return false;
        const text = out.toString('latin1');
        const xff = text.split('\r\n').filter((line) => /^x-forwarded-for:/i.test(line));
        return (
          JSON.stringify(xff) === JSON.stringify([`X-Forwarded-For: ${clientIp}`]) &&
          again.value.target === original.value.target &&
          again.value.host === original.value.host &&
          JSON.stringify(again.value.framing) === JSON.stringify(original.value.framing)
        );
      }),
    );
  },
);
