// The body meter: how much of each chunk belongs to the body in flight, by its framing.
import { test } from 'node:test';
import { BodyMeter } from '../../../src/proxy/http/body-meter.ts';
import { createChunkedFramer } from '../../../src/proxy/http/chunked.ts';

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

test('a Content-Length body takes its length and leaves what follows', (t) => {
  const meter = new BodyMeter(() => createChunkedFramer());
  t.assert.equal(meter.start({ kind: 'length', length: 5 }), true);
  t.assert.equal(meter.take(bytes('abc'), 0), 3);
  t.assert.equal(meter.isDone, false);
  t.assert.equal(meter.take(bytes('xxdeGET'), 2), 2);
  t.assert.equal(meter.isDone, true);
});

test('empty bodies are done at the start', (t) => {
  const meter = new BodyMeter(() => createChunkedFramer());
  t.assert.equal(meter.start({ kind: 'none' }), false);
  t.assert.equal(meter.isDone, true);
  t.assert.equal(meter.start({ kind: 'length', length: 0 }), false);
  t.assert.equal(meter.take(bytes('abc'), 0), 0);
});

test('a chunked body ends after its last chunk; the framer is made once and reset per body', (t) => {
  let made = 0;
  const meter = new BodyMeter(() => {
    made++;
    return createChunkedFramer();
  });
  meter.start({ kind: 'length', length: 1 });
  t.assert.equal(made, 0, 'no framer for a Content-Length body');
  for (let round = 0; round < 2; round++) {
    t.assert.equal(meter.start({ kind: 'chunked' }), true);
    const wire = bytes('3\r\nabc\r\n0\r\n\r\nNEXT');
    t.assert.equal(meter.take(wire, 0), wire.length - 4);
    t.assert.equal(meter.isDone, true);
  }
  t.assert.equal(made, 1);
});

test('a malformed chunk size is -1 with the framer problem', (t) => {
  const meter = new BodyMeter(() => createChunkedFramer());
  meter.start({ kind: 'chunked' });
  t.assert.equal(meter.take(bytes('zz\r\n'), 0), -1);
  t.assert.match(meter.problem, /^http\./);
  t.assert.equal(meter.isDone, false);
});

test('a body until close takes everything and never ends by itself', (t) => {
  const meter = new BodyMeter(() => createChunkedFramer());
  t.assert.equal(meter.start({ kind: 'close' }), true);
  t.assert.equal(meter.take(bytes('abcdef'), 2), 4);
  t.assert.equal(meter.isDone, false);
  t.assert.equal(meter.isUntilClose, true);
});
