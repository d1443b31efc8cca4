// fast-check generators of valid HTTP/1.1 request heads, kept as parts so tests can compare what a
// decoder read with what was generated.

import fc from 'fast-check';
import { Field, classifyFieldName } from '../../../src/proxy/http/field-names.ts';

export interface HeadSpec {
  readonly method: string;
  readonly target: string;
  readonly version: '1.0' | '1.1';
  readonly host: string;
  readonly hostPort: string;
  readonly fields: readonly (readonly [string, string])[];
  readonly framing: 'none' | 'length' | 'chunked';
  readonly leadingEmptyLines: number;
}

/** The characters of an ASCII string, one per element. */
function charsOf(text: string): string[] {
  return Array.from(text);
}

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const tokenArb = fc.string({
  unit: fc.constantFrom(...charsOf(TCHARS)),
  minLength: 1,
  maxLength: 12,
});
const alnum = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const labelArb = fc.string({
  unit: fc.constantFrom(...charsOf(alnum), '-'),
  minLength: 1,
  maxLength: 10,
});
const pathCharArb = fc.constantFrom(
  ...charsOf(alnum),
  '-',
  '.',
  '_',
  '~',
  '%',
  '!',
  '$',
  '&',
  "'",
  '(',
  ')',
  '*',
  '+',
  ',',
  ';',
  '=',
  ':',
  '@',
);
const segmentArb = fc.string({ unit: pathCharArb, maxLength: 8 });
const valueCharArb = fc.oneof(
  fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
  fc.constantFrom(' ', '\t', '\xe9', '\xff'),
);
/** A field value as sent: no leading or trailing whitespace (that would be OWS). */
const valueArb = fc
  .string({ unit: valueCharArb, maxLength: 40 })
  .map((v) => v.replace(/^[ \t]+|[ \t]+$/g, ''));

/** Ordinary fields only: none the decoder gives a meaning to (those are added on purpose). */
const ordinaryFieldArb = fc.tuple(tokenArb, valueArb).filter(([name]) => {
  const bytes = Buffer.from(name, 'latin1');
  const lower = name.toLowerCase().replace(/_/g, '-');
  return (
    classifyFieldName(bytes, 0, bytes.length) === Field.other &&
    lower !== 'content-length' &&
    lower !== 'transfer-encoding'
  );
});

export const headSpecArb: fc.Arbitrary<HeadSpec> = fc
  .record({
    method: fc.oneof(fc.constantFrom('GET', 'POST', 'PUT', 'HEAD', 'DELETE'), tokenArb),
    path: fc.array(segmentArb, { minLength: 1, maxLength: 5 }),
    query: fc.option(
      fc.string({ unit: fc.oneof(pathCharArb, fc.constantFrom('/', '?')), maxLength: 12 }),
    ),
    version: fc.constantFrom<'1.0' | '1.1'>('1.1', '1.1', '1.0'),
    labels: fc.array(labelArb, { minLength: 1, maxLength: 3 }),
    port: fc.option(fc.integer({ min: 0, max: 65535 })),
    fields: fc.array(ordinaryFieldArb, { maxLength: 8 }),
    framing: fc.constantFrom<'none' | 'length' | 'chunked'>('none', 'length', 'chunked'),
    leadingEmptyLines: fc.integer({ min: 0, max: 2 }),
  })
  .filter((r) => r.method !== 'CONNECT')
  .map((r) => {
    const host = r.labels.join('.');
    return {
      method: r.method,
      target: `/${r.path.join('/')}${r.query === null ? '' : `?${r.query}`}`,
      version: r.version,
      host: host.toLowerCase(),
      hostPort: r.port === null ? host : `${host}:${r.port}`,
      fields: r.fields,
      framing: r.version === '1.0' && r.framing === 'chunked' ? 'length' : r.framing,
      leadingEmptyLines: r.leadingEmptyLines,
    };
  });

/** The bytes of a spec's head (body framing fields included, no body). */
export function encodeHead(spec: HeadSpec): Buffer {
  let text = '\r\n'.repeat(spec.leadingEmptyLines);
  text += `${spec.method} ${spec.target} HTTP/${spec.version}\r\nHost: ${spec.hostPort}\r\n`;
  for (const [name, value] of spec.fields) text += `${name}: ${value}\r\n`;
  if (spec.framing === 'length') text += 'Content-Length: 12\r\n';
  if (spec.framing === 'chunked') text += 'Transfer-Encoding: chunked\r\n';
  return Buffer.from(`${text}\r\n`, 'latin1');
}
