// `pbxgate start --workers`: a count or auto, anything else a usage error before anything starts.
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { parseWorkers } from '../../src/cli/start.ts';
import { runCli } from '../support/cli.ts';

test('--workers takes 1..64 or auto', (t) => {
  t.assert.equal(parseWorkers(undefined), 1);
  t.assert.equal(parseWorkers('1'), 1);
  t.assert.equal(parseWorkers('2'), 2);
  t.assert.equal(parseWorkers('auto'), availableParallelism());
  for (const bad of ['0', '65', '-1', '1.5', 'two', '', '2x']) {
    t.assert.throws(() => parseWorkers(bad), /--workers .*expected a number from 1 to 64, or auto/);
  }
});

test('a bad --workers is exit 2 with the usage', async (t) => {
  const result = await runCli(['start', '--workers', 'many']);
  t.assert.equal(result.code, 2);
  t.assert.match(result.stderr, /--workers many: expected a number/);
  t.assert.match(result.stderr, /usage:/);
});
