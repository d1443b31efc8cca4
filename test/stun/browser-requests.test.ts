import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { answerStun } from '../../src/stun/answer.ts';
import { readBindingResult } from '../../src/stun/binding-result.ts';
import { decodeStunMessage } from '../../src/stun/message.ts';

const captures = readFileSync(
  new URL('../vectors/browser-binding-requests.csv', import.meta.url),
  'utf8',
)
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const [message = '', browser = '', version = ''] = line.split(',');
    return { bytes: Buffer.from(message, 'base64'), browser: `${browser} ${version}` };
  });

const source = { family: 4 as const, address: '198.51.100.20', port: 40000 };

test('Binding requests captured from Chrome and Firefox are answered with their address', (t) => {
  t.assert.equal(captures.length > 10, true);
  for (const { bytes, browser } of captures) {
    const answer = answerStun(bytes, {
      transport: 'udp',
      source,
      local: undefined,
      alternate: undefined,
      software: undefined,
    });
    t.assert.equal(answer.kind, 'send', browser);
    if (answer.kind !== 'send') continue;
    t.assert.equal(answer.outcome, 'success', browser);
    const decoded = decodeStunMessage(answer.bytes);
    t.assert.equal(decoded.kind, 'ok');
    if (decoded.kind !== 'ok') continue;
    const result = readBindingResult(decoded.value);
    t.assert.deepEqual(typeof result === 'string' ? result : result.mapped, source, browser);
  }
});
