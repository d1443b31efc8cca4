import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { readFirstMessage } from '../../src/net/first-message.ts';

/** Decides at the first newline: the line's length. */
function lineSniffer(): {
  sniff(bytes: Buffer): number | undefined;
  calls: number;
  scanned: number;
} {
  const state = {
    calls: 0,
    scanned: 0,
    sniff(bytes: Buffer): number | undefined {
      state.calls++;
      state.scanned += bytes.length;
      const end = bytes.indexOf('\n');
      return end < 0 ? undefined : end + 1;
    },
  };
  return state;
}

function read(
  stream: PassThrough,
  sniffer = lineSniffer(),
  maxBytes = 65536,
  signal?: AbortSignal,
) {
  return readFirstMessage(stream, {
    maxBytes,
    signal: signal ?? new AbortController().signal,
    sniff: (bytes) => sniffer.sniff(bytes),
  });
}

test('a complete message is decided at once, with the bytes that followed it', async (t) => {
  const stream = new PassThrough();
  const outcome = read(stream);
  stream.write('first line\nsecond');
  const result = await outcome;
  t.assert.equal(result.kind, 'decided');
  if (result.kind !== 'decided') return;
  t.assert.equal(result.result, 11);
  t.assert.equal(result.bytes.toString(), 'first line\nsecond');
  t.assert.equal(result.ended, false);
  t.assert.equal(stream.isPaused(), true, 'later bytes wait for the relay');
});

test('10,000 one-byte pieces cost a bounded number of sniffs, not one each', async (t) => {
  const stream = new PassThrough();
  const sniffer = lineSniffer();
  const outcome = read(stream, sniffer);
  for (let i = 0; i < 10_000; i++) stream.write('a');
  await new Promise((resolve) => setTimeout(resolve, 20));
  stream.write('\n');
  const result = await outcome;
  t.assert.equal(result.kind === 'decided' && result.result, 10_001);
  t.assert.equal(sniffer.calls < 200, true, `${sniffer.calls} sniffs`);
  // Growth by 1/8 between sniffs: about 9 times the final size in all, instead of n²/2 = 50 MB.
  t.assert.equal(sniffer.scanned < 12 * 10_001, true, `${sniffer.scanned} bytes scanned`);
});

test('a last small piece after a pause is still sniffed promptly', async (t) => {
  const stream = new PassThrough();
  const outcome = read(stream);
  stream.write('a'.repeat(1000));
  await new Promise((resolve) => setTimeout(resolve, 20));
  const started = Date.now();
  stream.write('\n'); // far less than 1/8 of the 1000 bytes already sniffed
  const result = await outcome;
  t.assert.equal(result.kind, 'decided');
  t.assert.equal(Date.now() - started < 100, true);
});

test('the outcomes without a decision: too large, timeout, closed, a throwing sniffer', async (t) => {
  const tooLarge = new PassThrough();
  const large = read(tooLarge, lineSniffer(), 256);
  tooLarge.write('a'.repeat(300));
  t.assert.equal((await large).kind, 'too-large');

  const silent = new PassThrough();
  const deadline = new AbortController();
  const timeout = read(silent, lineSniffer(), 256, deadline.signal);
  silent.write('partial');
  deadline.abort();
  const timedOut = await timeout;
  t.assert.deepEqual([timedOut.kind, timedOut.bytes.toString()], ['timeout', 'partial']);

  const leaving = new PassThrough();
  const closed = read(leaving);
  leaving.end('partial');
  t.assert.equal((await closed).kind, 'closed');

  const throwing = new PassThrough();
  const failed = readFirstMessage(throwing, {
    maxBytes: 256,
    signal: new AbortController().signal,
    sniff: () => {
      throw new Error('a bug');
    },
  });
  throwing.write('x');
  t.assert.equal((await failed).kind, 'failed');
});

test('a message followed by the end of the stream is decided, and says so', async (t) => {
  const stream = new PassThrough();
  const outcome = read(stream);
  stream.end('whole\n');
  const result = await outcome;
  t.assert.equal(result.kind, 'decided');
});
