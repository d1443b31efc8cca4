// The sans-I/O Binding handler (answerStun): datagram + context -> answer or reasoned drop, no sockets.

import { test } from 'node:test';
import fc from 'fast-check';
import { answerStun } from '../../src/stun/answer.ts';
import type { BindingContext } from '../../src/stun/binding.ts';
import { Attr, ErrorCode, StunClass, StunMethod, reasonPhrases } from '../../src/stun/constants.ts';
import { checkFingerprint } from '../../src/stun/fingerprint.ts';
import { stunType } from '../../src/stun/header.ts';
import { attributeValue, findAttribute } from '../../src/stun/message.ts';
import type { TransportAddress } from '../../src/stun/attributes/address.ts';
import { writePort } from '../../src/stun/attributes/scalar.ts';
import {
  addressIn as address,
  bindingRequestArb,
  change,
  classicId,
  contextArb,
  errorIn as errorOf,
  expectError,
  modernId,
  request,
  sent,
  testAlternate as alternate,
  testSoftware as software,
  unknownIn as unknownOf,
} from '../support/stun-answer.ts';

const source: TransportAddress = { family: 4, address: '192.0.2.10', port: 40000 };
const source6: TransportAddress = { family: 6, address: '2001:db8::10', port: 40001 };
const local: TransportAddress = { family: 4, address: '198.51.100.1', port: 3478 };

function context(overrides: Partial<BindingContext> = {}): BindingContext {
  return {
    transport: 'udp',
    source,
    local,
    alternate: undefined,
    software: undefined,
    ...overrides,
  };
}

for (const [label, from] of [
  ['IPv4', source],
  ['IPv6', source6],
] as const) {
  for (const fingerprint of [false, true]) {
    test(`a plain Binding request from ${label} ${fingerprint ? 'with' : 'without'} FINGERPRINT gets its XOR-MAPPED-ADDRESS`, (t) => {
      const { answer, message } = sent(
        answerStun(request([], { fingerprint }), context({ source: from })),
      );
      t.assert.equal(answer.outcome, 'success');
      t.assert.equal(answer.method, StunMethod.binding);
      t.assert.equal(answer.port, from.port);
      t.assert.equal(answer.changeIp || answer.changePort, false);
      t.assert.equal(message.type, stunType(StunMethod.binding, StunClass.success));
      t.assert.deepEqual(Buffer.from(message.transactionId), modernId);
      t.assert.deepEqual(address(message, Attr.xorMappedAddress), from);
      t.assert.equal(findAttribute(message, Attr.mappedAddress), undefined);
      t.assert.equal(checkFingerprint(message), fingerprint ? 'valid' : 'absent');
    });
  }
}

for (const alt of [undefined, alternate]) {
  test(`an RFC 3489 request ${alt ? 'with' : 'without'} an alternate gets MAPPED-ADDRESS and echoes all 16 id bytes`, (t) => {
    const { message } = sent(
      answerStun(request([], { transactionId: classicId }), context({ alternate: alt })),
    );
    t.assert.equal(message.hasCookie, false);
    t.assert.deepEqual(Buffer.from(message.bytes.subarray(4, 20)), classicId);
    t.assert.deepEqual(Buffer.from(message.transactionId), classicId);
    t.assert.deepEqual(address(message, Attr.mappedAddress), source);
    t.assert.equal(findAttribute(message, Attr.xorMappedAddress), undefined);
    t.assert.deepEqual(
      address(message, Attr.sourceAddress),
      alt ? alt.originFor(false, false) : local,
    );
    t.assert.deepEqual(address(message, Attr.changedAddress), alt?.originFor(true, true));
    t.assert.equal(findAttribute(message, Attr.fingerprint), undefined);
  });
}

test('an RFC 3489 CHANGE-REQUEST names the changed origin in SOURCE-ADDRESS', (t) => {
  const bytes = request([change(true, false)], { transactionId: classicId });
  const { answer, message } = sent(answerStun(bytes, context({ alternate })));
  t.assert.equal(answer.changeIp, true);
  t.assert.equal(answer.changePort, false);
  t.assert.deepEqual(address(message, Attr.sourceAddress), alternate.originFor(true, false));
});

const flagCases = [
  [true, false],
  [false, true],
  [true, true],
] as const;

for (const [changeIp, changePort] of flagCases) {
  const flags = `changeIp=${changeIp} changePort=${changePort}`;

  test(`CHANGE-REQUEST ${flags} without an alternate gets 420 naming CHANGE-REQUEST`, (t) => {
    const answer = answerStun(request([change(changeIp, changePort)]), context());
    const message = expectError(t, answer, ErrorCode.unknownAttribute);
    t.assert.deepEqual(unknownOf(message), [Attr.changeRequest]);
    t.assert.equal(answer.kind === 'send' && answer.outcome, 'unknown-attribute');
  });

  test(`CHANGE-REQUEST ${flags} over TCP with an alternate gets 400`, (t) => {
    const answer = answerStun(
      request([change(changeIp, changePort)]),
      context({ transport: 'tcp', alternate }),
    );
    expectError(t, answer, ErrorCode.badRequest);
    t.assert.equal(answer.kind === 'send' && answer.changeIp, false);
  });
}

for (const [changeIp, changePort] of [[false, false], ...flagCases] as const) {
  test(`CHANGE-REQUEST changeIp=${changeIp} changePort=${changePort} over UDP with an alternate is honoured`, (t) => {
    const { answer, message } = sent(
      answerStun(request([change(changeIp, changePort)]), context({ alternate })),
    );
    t.assert.equal(answer.outcome, 'success');
    t.assert.equal(answer.changeIp, changeIp);
    t.assert.equal(answer.changePort, changePort);
    t.assert.deepEqual(address(message, Attr.xorMappedAddress), source);
    t.assert.deepEqual(
      address(message, Attr.responseOrigin),
      alternate.originFor(changeIp, changePort),
    );
    t.assert.deepEqual(address(message, Attr.otherAddress), alternate.originFor(true, true));
  });
}

test('CHANGE-REQUEST with no flags and no alternate is answered normally', (t) => {
  const { answer, message } = sent(answerStun(request([change(false, false)]), context()));
  t.assert.equal(answer.outcome, 'success');
  t.assert.deepEqual(address(message, Attr.xorMappedAddress), source);
  t.assert.equal(findAttribute(message, Attr.responseOrigin), undefined);
  t.assert.equal(findAttribute(message, Attr.otherAddress), undefined);
});

for (const length of [0, 3, 8]) {
  test(`a CHANGE-REQUEST of ${length} bytes gets 400`, (t) => {
    const bad = { type: Attr.changeRequest, value: new Uint8Array(length) };
    expectError(t, answerStun(request([bad]), context({ alternate })), ErrorCode.badRequest);
  });
}

test('RESPONSE-PORT with an alternate over UDP redirects the answer to that port', (t) => {
  const bytes = request([{ type: Attr.responsePort, value: writePort(5000) }]);
  const { answer } = sent(answerStun(bytes, context({ alternate })));
  t.assert.equal(answer.outcome, 'success');
  t.assert.equal(answer.port, 5000);
});

const badResponsePorts = [
  ['a RESPONSE-PORT of 0', writePort(0)],
  ['a 2-byte RESPONSE-PORT', new Uint8Array([0x13, 0x88])],
] as const;
for (const [label, value] of badResponsePorts) {
  test(`${label} gets 400`, (t) => {
    const bytes = request([{ type: Attr.responsePort, value }]);
    expectError(t, answerStun(bytes, context({ alternate })), ErrorCode.badRequest);
  });
}

test('RESPONSE-PORT over TCP with an alternate gets 400', (t) => {
  const bytes = request([{ type: Attr.responsePort, value: writePort(5000) }]);
  const answer = answerStun(bytes, context({ transport: 'tcp', alternate }));
  expectError(t, answer, ErrorCode.badRequest);
  t.assert.equal(answer.kind === 'send' && answer.port, source.port);
});

test('RESPONSE-PORT without an alternate gets 420 naming RESPONSE-PORT', (t) => {
  const bytes = request([{ type: Attr.responsePort, value: writePort(5000) }]);
  const answer = answerStun(bytes, context());
  t.assert.deepEqual(unknownOf(expectError(t, answer, ErrorCode.unknownAttribute)), [
    Attr.responsePort,
  ]);
  t.assert.equal(answer.kind === 'send' && answer.port, source.port);
});

for (const alt of [undefined, alternate]) {
  test(`RESPONSE-ADDRESS is never honoured: 420 naming it ${alt ? 'with' : 'without'} an alternate`, (t) => {
    const bytes = request([
      { type: Attr.responseAddress, value: new Uint8Array([0, 1, 0x13, 0x88, 203, 0, 113, 9]) },
    ]);
    const answer = answerStun(bytes, context({ alternate: alt }));
    const message = expectError(t, answer, ErrorCode.unknownAttribute);
    t.assert.deepEqual(unknownOf(message), [Attr.responseAddress]);
    t.assert.equal(answer.kind === 'send' && answer.port, source.port);
  });
}

test('unknown comprehension-required attributes get 420 listing each once, in order', (t) => {
  const bytes = request([
    { type: 0x0fff, value: new Uint8Array(4) },
    { type: 0xc000, value: new Uint8Array(4) },
    { type: 0x7abc, value: new Uint8Array(0) },
    { type: 0x0fff, value: new Uint8Array(8) },
  ]);
  const message = expectError(t, answerStun(bytes, context()), ErrorCode.unknownAttribute);
  t.assert.deepEqual(unknownOf(message), [0x0fff, 0x7abc]);
});

test('an unknown comprehension-optional attribute (0xC000) is ignored', (t) => {
  const bytes = request([{ type: 0xc000, value: new Uint8Array([1, 2, 3]) }]);
  const { answer, message } = sent(answerStun(bytes, context()));
  t.assert.equal(answer.outcome, 'success');
  t.assert.deepEqual(
    message.attributes.map((a) => a.type),
    [Attr.xorMappedAddress],
  );
});

for (const length of [1, 4, 37, 508]) {
  test(`PADDING of ${length} bytes with an alternate over UDP is answered with PADDING of ${length} bytes`, (t) => {
    const bytes = request([{ type: Attr.padding, value: new Uint8Array(length).fill(0xaa) }]);
    const { message } = sent(answerStun(bytes, context({ alternate })));
    const padding = findAttribute(message, Attr.padding);
    t.assert.equal(padding?.length, length);
    t.assert.equal(message.bytes.length <= bytes.length + 100, true);
  });
}

test('PADDING without an alternate is accepted but not echoed', (t) => {
  const bytes = request([{ type: Attr.padding, value: new Uint8Array(64) }]);
  const { answer, message } = sent(answerStun(bytes, context()));
  t.assert.equal(answer.outcome, 'success');
  t.assert.equal(findAttribute(message, Attr.padding), undefined);
});

test('PADDING together with RESPONSE-PORT gets 400 (RFC 5780 §6.1)', (t) => {
  const bytes = request([
    { type: Attr.padding, value: new Uint8Array(1200) },
    { type: Attr.responsePort, value: writePort(5000) },
  ]);
  const answer = answerStun(bytes, context({ alternate }));
  expectError(t, answer, ErrorCode.badRequest);
  t.assert.equal(answer.kind === 'send' && answer.port, source.port);
});

for (const cls of [StunClass.indication, StunClass.success, StunClass.error]) {
  test(`a Binding message of class ${cls} is dropped as not a request`, (t) => {
    const answer = answerStun(request([], { cls, fingerprint: true }), context());
    t.assert.deepEqual(answer, { kind: 'drop', reason: 'stun.not-a-request' });
  });
}

test('a request whose FINGERPRINT does not verify is dropped', (t) => {
  const bytes = request([], { fingerprint: true });
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
  t.assert.deepEqual(answerStun(bytes, context()), {
    kind: 'drop',
    reason: 'stun.bad-fingerprint',
  });
});

const badDatagrams = [
  ['trailing bytes', Buffer.concat([request(), Buffer.alloc(4)]), 'stun.trailing-bytes'],
  ['a truncated body', request([change(false, false)]).subarray(0, 24), 'stun.truncated'],
  ['a first byte that is not STUN', Buffer.from([0x80, ...request().subarray(1)]), 'stun.not-stun'],
] as const;
for (const [label, bytes, reason] of badDatagrams) {
  test(`a datagram with ${label} is dropped as ${reason}`, (t) => {
    t.assert.deepEqual(answerStun(bytes, context()), { kind: 'drop', reason });
  });
}

for (const fingerprint of [false, true]) {
  test(`a non-Binding request (Allocate) ${fingerprint ? 'with' : 'without'} FINGERPRINT gets 400 of that method`, (t) => {
    const bytes = request([], { method: StunMethod.allocate, fingerprint });
    const answer = answerStun(bytes, context());
    const message = expectError(t, answer, ErrorCode.badRequest, StunMethod.allocate);
    t.assert.equal(answer.kind === 'send' && answer.method, StunMethod.allocate);
    t.assert.deepEqual(Buffer.from(message.transactionId), modernId);
    t.assert.equal(checkFingerprint(message), fingerprint ? 'valid' : 'absent');
  });
}

const softwareCases = [
  ['a success', request()],
  ['a 420', request([{ type: 0x0fff, value: new Uint8Array(0) }])],
  ['a 400', request([change(true, true)], { method: StunMethod.allocate })],
] as const;
for (const [label, bytes] of softwareCases) {
  test(`SOFTWARE is in ${label} answer only when the context sets it`, (t) => {
    const without = sent(answerStun(bytes, context())).message;
    t.assert.equal(findAttribute(without, Attr.software), undefined);
    const withIt = sent(answerStun(bytes, context({ software }))).message;
    const attribute = findAttribute(withIt, Attr.software);
    t.assert.deepEqual(attribute && Buffer.from(attributeValue(withIt, attribute)), software);
  });
}

test('an answer is never more than 100 bytes larger than its request', { timeout: 30_000 }, (t) => {
  fc.assert(
    fc.property(bindingRequestArb, contextArb, (bytes, ctx) => {
      const answer = answerStun(bytes, ctx);
      if (answer.kind === 'drop') return;
      t.assert.equal(answer.bytes.length <= bytes.length + 100, true);
      const { message } = sent(answer);
      const error = errorOf(message);
      // Every error answer carries our constant reason phrase, never text from the request.
      if (message.class === StunClass.error) {
        t.assert.equal(
          typeof error === 'object' && error.reason === reasonPhrases.get(error.code),
          true,
        );
      } else {
        t.assert.equal(error, undefined);
      }
    }),
  );
});

test('an RFC 3489 420 repeats a type so UNKNOWN-ATTRIBUTES stays a multiple of 4 bytes', (t) => {
  const bytes = request([change(true, false)], { transactionId: classicId });
  const message = expectError(t, answerStun(bytes, context()), ErrorCode.unknownAttribute);
  t.assert.deepEqual(unknownOf(message), [Attr.changeRequest, Attr.changeRequest]);
});
