import { test } from 'node:test';
import { closesClient, closingResponseHead } from '../../../src/proxy/http/closing-head.ts';
import { decodeResponseHead } from '../../../src/proxy/http/response-head.ts';
import { testLimits } from './corpus.ts';

function decode(text: string) {
  const result = decodeResponseHead(Buffer.from(text, 'latin1'), 'GET', testLimits);
  if (result.kind !== 'ok') throw new Error(JSON.stringify(result));
  return result.value;
}

test('a closing head replaces the connection fields with Connection: close and keeps the rest', (t) => {
  const head = decode(
    'HTTP/1.1 200 OK\r\nServer: nginx\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n' +
      'Content-Length: 2\r\nProxy-Connection: keep-alive\r\nX-Last: 1\r\n\r\nok',
  );
  const rewritten = closingResponseHead(head).toString('latin1');
  t.assert.equal(
    rewritten,
    'HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 2\r\nX-Last: 1\r\nConnection: close\r\n\r\n',
  );
  const again = decode(rewritten);
  t.assert.equal(again.isPersistent, false);
  t.assert.deepEqual(again.framing, head.framing);
});

test('the client is closed after a response when it asked for it or the body runs until close', (t) => {
  const length = decode('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
  const untilClose = decode('HTTP/1.1 200 OK\r\n\r\n');
  t.assert.equal(closesClient({ isPersistent: true }, length), false);
  t.assert.equal(closesClient({ isPersistent: false }, length), true);
  t.assert.equal(closesClient({ isPersistent: true }, untilClose), true);
});
