// `pbxgate start --workers`: a count or auto, anything else a usage error before anything starts.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseWorkers } from '../../src/cli/start.ts';
import { runCli, spawnCli, waitForOutput } from '../support/cli.ts';
import { freePort } from '../support/stun-server.ts';

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

test('--workers without a proxy section runs one process and says why', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pbxgate-workers-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'stun-only.yaml');
  await writeFile(file, `stun: { listen: [udp://127.0.0.1:${await freePort()}] }\n`);
  const child = spawnCli(['start', '--config', file, '--workers', '2']);
  t.after(() => child.kill('SIGKILL'));
  const output = await waitForOutput(child, (text) => text.includes('pbxgate started'));
  t.assert.match(output, /--workers ignored: the config has no proxy section/);
  t.assert.match(output, /"workers":0/);
});
