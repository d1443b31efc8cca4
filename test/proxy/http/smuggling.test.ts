// The request-smuggling corpus (test/vectors/http/smuggling.json): each raw client stream is refused
// with its named reason, or framed into the expected number of separately routed requests.

import { test } from 'node:test';
import { bytesOf, frameStream, smugglingCases } from './corpus.ts';

test('the corpus holds at least 40 refusals', (t) => {
  const refusals = smugglingCases.filter((c) => c.expect !== 'ok');
  t.assert.equal(refusals.length >= 40, true);
});

for (const vector of smugglingCases) {
  test(`${vector.name}: ${vector.expect}`, (t) => {
    const { outcome, requests } = frameStream(bytesOf(vector.raw), vector.limits);
    t.assert.equal(outcome, vector.expect);
    if (vector.requests !== undefined) t.assert.equal(requests, vector.requests);
  });
}

test('no prefix of an accepted corpus stream is refused', (t) => {
  for (const vector of smugglingCases) {
    const bytes = bytesOf(vector.raw);
    if (vector.expect !== 'ok') continue;
    for (let cut = 0; cut < bytes.length; cut++) {
      const { outcome } = frameStream(bytes.subarray(0, cut), vector.limits);
      t.assert.equal(outcome === 'ok' || outcome === 'incomplete', true, `${vector.name} @${cut}`);
    }
  }
});
