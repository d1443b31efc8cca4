// Properties of the SIP plug-in (CONVENTIONS §5): no input makes the framer, sniffer, refusal or
// watcher throw; random bytes never route; mutated messages route only to a domain they contain;
// valid prefixes wait for more; generated requests route to what was generated; and the watcher
// sees the same whatever the chunking.

import { test } from 'node:test';
import fc from 'fast-check';
import { frameSipMessage } from '../../../src/proxy/sip/framing.ts';
import { createSipProtocol } from '../../../src/proxy/sip/protocol.ts';
import { esc01, lwsdisp, multi01, request, response, semiuri, text, wsinv } from './messages.ts';
import { REFUSAL_CAUSES } from '../../support/refusal-causes.ts';

const TIMEOUT = { timeout: 120_000 };
const sip = createSipProtocol({ newTag: () => 'tag' });
const causes = REFUSAL_CAUSES;

const credentials = 'Authorization: Digest username="alice", response="x"';
const corpus: Buffer[] = [
  request(),
  request({ method: 'INVITE', body: 'v=0\ns=-\n', extra: [credentials] }),
  response({ status: 401, extra: ['WWW-Authenticate: Digest realm="x", nonce="y", stale=false'] }),
  wsinv,
  esc01,
  lwsdisp,
  semiuri,
  multi01,
];

/** Runs every exported entry point on `bytes`; whatever it is, nothing may throw. */
function exercise(bytes: Uint8Array): void {
  frameSipMessage(bytes);
  sip.sniff(bytes);
  for (const cause of causes) sip.refuse(bytes, cause);
  const watcher = sip.createWatcher?.({
    service: 'example.com',
    remoteIp: '192.0.2.1',
    suspicious: () => undefined,
  });
  const half = bytes.length >> 1;
  watcher?.fromClient(bytes.subarray(0, half));
  watcher?.fromClient(bytes.subarray(half));
  watcher?.fromServer(bytes.subarray(0, half));
  watcher?.fromServer(bytes.subarray(half));
}

const noiseArb: fc.Arbitrary<Uint8Array> = fc
  .array(
    fc.constantFrom(
      'REGISTER ',
      'INVITE sip:x@example.com SIP/2.0',
      'SIP/2.0 401 Unauthorized',
      ' SIP/2.0',
      '\r\n',
      '\r\n\r\n',
      '\n',
      '\r',
      ' ',
      '\t',
      ':',
      ';',
      '"',
      '\\',
      '<',
      '>',
      '@',
      '%',
      '%4',
      '\0',
      'From: ',
      'f: <sip:a@example.com>;tag=1',
      'To: <sip:b@example.com>',
      'Via: SIP/2.0/TCP h;branch=z9',
      'Call-ID: c',
      'CSeq: 1 REGISTER',
      'Content-Length: 0',
      'l: 3',
      'WWW-Authenticate: Digest stale=true',
      'sip:',
      'tel:+1',
      '[::1]',
      'a',
    ),
    { maxLength: 60 },
  )
  .map((parts) => Buffer.from(parts.join(''), 'latin1'));

test(
  'random bytes and SIP-looking noise never throw, and random bytes never route',
  TIMEOUT,
  () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        exercise(bytes);
        return sip.sniff(bytes).kind !== 'route';
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(noiseArb, (bytes) => {
        exercise(bytes);
      }),
    );
  },
);

type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly byte: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'crlf'; readonly at: number }
  | { readonly kind: 'duplicate-line'; readonly at: number }
  | { readonly kind: 'length'; readonly delta: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip'), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate'), at: fc.nat() }),
  fc.record({ kind: fc.constant('crlf'), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate-line'), at: fc.nat() }),
  fc.record({ kind: fc.constant('length'), delta: fc.constantFrom(-1, 1) }),
);

function mutate(message: string, mutation: Mutation): string {
  switch (mutation.kind) {
    case 'flip': {
      const at = mutation.at % message.length;
      return message.slice(0, at) + String.fromCharCode(mutation.byte) + message.slice(at + 1);
    }
    case 'truncate':
      return message.slice(0, mutation.at % message.length);
    case 'crlf': {
      const at = mutation.at % (message.length + 1);
      return `${message.slice(0, at)}\r\n${message.slice(at)}`;
    }
    case 'duplicate-line': {
      const lines = message.split('\r\n');
      const at = 1 + (mutation.at % Math.max(1, lines.length - 1));
      lines.splice(at, 0, lines[at] ?? '');
      return lines.join('\r\n');
    }
    case 'length':
      return message.replace(
        /^(content-length|l)([ \t]*:[ \t]*)(\d+)/im,
        (_all, name: string, colon: string, digits: string) =>
          `${name}${colon}${String(Math.max(0, Number(digits) + mutation.delta))}`,
      );
  }
}

const mutatedArb = fc
  .tuple(fc.constantFrom(...corpus), fc.array(mutationArb, { minLength: 1, maxLength: 4 }))
  .map(([message, mutations]) => Buffer.from(mutations.reduce(mutate, text(message)), 'latin1'));

test('mutated messages never throw and route only to a domain they contain', TIMEOUT, () => {
  fc.assert(
    fc.property(mutatedArb, (bytes) => {
      exercise(bytes);
      const result = sip.sniff(bytes);
      if (result.kind !== 'route') return true;
      const lower = text(bytes).toLowerCase();
      return result.size <= bytes.length && result.services.every((name) => lower.includes(name));
    }),
    { numRuns: 2000 },
  );
});

test('every strict prefix of a routable request makes the sniffer wait', TIMEOUT, (t) => {
  for (const message of [request(), wsinv, esc01, lwsdisp, semiuri]) {
    t.assert.equal(sip.sniff(message).kind, 'route');
    for (let cut = 0; cut < message.length; cut++) {
      t.assert.equal(sip.sniff(message.subarray(0, cut)).kind, 'need-more', `cut ${cut}`);
    }
  }
});

const labelArb = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
const domainArb = fc
  .array(labelArb, { minLength: 1, maxLength: 4 })
  .map((labels) => [...labels, 'example'].join('.'));
const userArb = fc.stringMatching(/^[a-zA-Z0-9_.!~*'()&=+$,?/-]{1,20}$/);
const displayArb = fc.oneof(
  fc.constant(''),
  fc.stringMatching(/^[a-zA-Z0-9]{1,8}( [a-zA-Z0-9]{1,8}){0,2} $/),
  fc
    .string({ maxLength: 20 })
    .filter((name) => /^[\x20-\x7e]*$/.test(name))
    .map((name) => `"${name.replace(/["\\]/g, (c) => `\\${c}`)}" `),
);

test('a generated request routes to its From domain with its user as identity', TIMEOUT, () => {
  fc.assert(
    fc.property(
      domainArb,
      userArb,
      displayArb,
      fc.constantFrom('sip', 'sips', 'SIP'),
      fc.boolean(),
      (domain, user, display, scheme, upper) => {
        const host = upper ? domain.toUpperCase() : domain;
        const from = `${display}<${scheme}:${user}@${host}>;tag=abc`;
        const result = sip.sniff(request({ from }));
        return result.kind === 'route' && result.services[0] === domain && result.identity === user;
      },
    ),
  );
});

test('the watcher reports the same events and verdicts whatever the chunking', TIMEOUT, () => {
  const client = Buffer.concat([
    request({ callId: 'a', extra: [credentials] }),
    Buffer.from('\r\n\r\n'),
    request({ callId: 'b', method: 'MESSAGE', body: 'hi' }),
    request({ callId: 'c', extra: [credentials] }),
  ]);
  const server = Buffer.concat([
    response({ status: 401, callId: 'a', extra: ['WWW-Authenticate: Digest nonce="1"'] }),
    Buffer.from('\r\n'),
    response({ status: 200, callId: 'b', method: 'MESSAGE', body: 'ok' }),
    response({ status: 401, callId: 'c', extra: ['WWW-Authenticate: Digest stale=true'] }),
    response({ status: 403, callId: 'z' }),
  ]);
  const cutsArb = (length: number): fc.Arbitrary<number[]> =>
    fc
      .uniqueArray(fc.integer({ min: 1, max: length - 1 }), { maxLength: 12 })
      .map((cuts) => [...cuts].sort((a, b) => a - b));
  fc.assert(
    fc.property(cutsArb(client.length), cutsArb(server.length), (clientCuts, serverCuts) => {
      const events: string[] = [];
      const watcher = sip.createWatcher?.({
        service: 'example.com',
        remoteIp: '192.0.2.1',
        suspicious: (reason) => events.push(reason),
      });
      if (watcher === undefined) return false;
      const pieces = (bytes: Buffer, cuts: number[]): Buffer[] =>
        [0, ...cuts].map((from, i) => bytes.subarray(from, cuts[i] ?? bytes.length));
      const verdicts = pieces(client, clientCuts).map((chunk) => watcher.fromClient(chunk));
      for (const chunk of pieces(server, serverCuts)) watcher.fromServer(chunk);
      return (
        verdicts.every((verdict) => verdict === 'pass') &&
        events.join() === 'sip.register-rejected,sip.register-forbidden'
      );
    }),
  );
});

test('pathological heads are handled in linear time', TIMEOUT, (t) => {
  const started = performance.now();
  const heads = [
    `REGISTER sip:x SIP/2.0\r\nFrom: "${'\\"'.repeat(7000)}\r\nl: 0\r\n\r\n`,
    `REGISTER sip:x SIP/2.0\r\nFrom: ${'a '.repeat(7000)}<sip:a@b.example>\r\nl: 0\r\n\r\n`,
    `REGISTER sip:x SIP/2.0\r\nFrom: <sip:a@b.example>${';a=b'.repeat(3500)}\r\nl: 0\r\n\r\n`,
    `REGISTER sip:x SIP/2.0\r\n${'a:\r\n '.repeat(2500)}l: 0\r\n\r\n`,
    `REGISTER sip:${'%41'.repeat(5000)}@x SIP/2.0\r\nl: 0\r\n\r\n`,
    `SIP/2.0 401 x\r\nCSeq: 1 REGISTER\r\nCall-ID: a\r\nWWW-Authenticate: ${'a="\\",'.repeat(2000)}\r\nl: 0\r\n\r\n`,
    '\r\n'.repeat(20_000),
    'R'.repeat(20_000),
  ];
  for (const head of heads) {
    for (let i = 0; i < 20; i++) exercise(Buffer.from(head, 'latin1'));
  }
  t.assert.equal(performance.now() - started < 5000, true);
});
