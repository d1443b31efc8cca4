import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createFraudDetection } from '../../src/fraud/detection.ts';
import type { BlacklistEntry } from '../../src/fraud/fraud.ts';
import {
  createFileStore,
  parseFile,
  serialize,
  type StoredLists,
} from '../../src/fraud/store-file.ts';
import { createMetrics } from '../../src/observe/metrics.ts';
import { captureLog, eventually, fraudOptions, tempDir } from './helpers.ts';

const NOW = Date.UTC(2025, 0, 1);
const entry = (key: string, until: number | undefined): BlacklistEntry => ({
  key,
  reason: 'sip.forbidden',
  since: NOW - 1000,
  until,
  manual: until === undefined,
});
const lists: StoredLists = {
  blacklist: [entry('192.0.2.1', NOW + 60_000), entry('2001:db8::/64', undefined)],
  whitelist: ['198.51.100.0/24'],
};

test('a save writes the lists atomically and leaves no temporary file', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'sub', 'fraud.json');
  const { log } = captureLog();
  const store = createFileStore(path, { log, read: () => lists, now: () => NOW });
  store.save();
  await store.flush();
  t.assert.deepEqual(parseFile(await readFile(path, 'utf8'), NOW), lists);
  t.assert.deepEqual(await readdir(join(dir, 'sub')), ['fraud.json']);
  t.assert.deepEqual(
    await createFileStore(path, { log, read: () => lists, now: () => NOW }).load(),
    lists,
  );
});

test('a reader never sees a half-written file while saves go on', async (t) => {
  const path = join(await tempDir(t), 'fraud.json');
  const big = (n: number): StoredLists => ({
    blacklist: Array.from({ length: 2000 }, (_, i) =>
      entry(`10.${n}.${i >> 8}.${i & 0xff}`, undefined),
    ),
    whitelist: [],
  });
  let round = 0;
  const store = createFileStore(path, { log: captureLog().log, read: () => big(round) });
  store.save();
  await store.flush();
  let reads = 0;
  for (round = 1; round < 30; round++) {
    store.save();
    const text = await readFile(path, 'utf8');
    t.assert.equal(parseFile(text, NOW)?.blacklist.length, 2000);
    reads++;
  }
  await store.flush();
  t.assert.equal(reads, 29);
});

test('a burst of saves becomes at most two writes, the last one with the latest lists', async (t) => {
  const path = join(await tempDir(t), 'fraud.json');
  let reads = 0;
  let current: StoredLists = { blacklist: [], whitelist: [] };
  const store = createFileStore(path, {
    log: captureLog().log,
    read: () => {
      reads++;
      return current;
    },
  });
  for (let i = 0; i < 100; i++) {
    current = { blacklist: [], whitelist: [`10.0.0.${i}`] };
    store.save();
  }
  await store.flush();
  t.assert.equal(reads <= 2, true, `${reads} writes`);
  t.assert.deepEqual(parseFile(await readFile(path, 'utf8'), NOW)?.whitelist, ['10.0.0.99']);
});

test('a failed write is logged once and retried until it succeeds', async (t) => {
  const dir = await tempDir(t);
  const blocker = join(dir, 'blocker');
  await writeFile(blocker, 'a file where the directory should be');
  const path = join(blocker, 'fraud.json');
  const { log, lines } = captureLog();
  const store = createFileStore(path, { log, read: () => lists, now: () => NOW });
  store.save();
  await eventually(() => lines.some((l) => l['level'] === 50));
  await rm(blocker);
  await eventually(() => lines.some((l) => l['msg'] === 'fraud state file written again'), 5000);
  await store.flush();
  t.assert.deepEqual(parseFile(await readFile(path, 'utf8'), NOW), lists);
  t.assert.equal(lines.filter((l) => l['level'] === 50).length, 1);
});

test('a missing file loads as empty', async (t) => {
  const path = join(await tempDir(t), 'fraud.json');
  const { log, lines } = captureLog();
  t.assert.deepEqual(await createFileStore(path, { log, read: () => lists }).load(), {
    blacklist: [],
    whitelist: [],
  });
  t.assert.equal(
    lines.some((l) => l['msg'] === 'no fraud state file yet: starting empty'),
    true,
  );
});

test('a corrupt file is logged, kept aside as .corrupt-<ms>, and loads as empty', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'fraud.json');
  const { log, lines } = captureLog();
  for (const text of [
    '{"version":1,"blackl',
    '{"version":2,"blacklist":[],"whitelist":[]}',
    '[]',
  ]) {
    await writeFile(path, text);
    const store = createFileStore(path, { log, read: () => lists, now: () => NOW });
    t.assert.deepEqual(await store.load(), { blacklist: [], whitelist: [] });
    t.assert.equal(await readFile(`${path}.corrupt-${NOW}`, 'utf8'), text);
  }
  t.assert.equal(lines.filter((l) => l['level'] === 50 && l['aside'] !== undefined).length, 3);
});

test('expired entries are dropped at load; entries without expiry stay', (t) => {
  const text = serialize({
    blacklist: [
      entry('192.0.2.1', NOW),
      entry('192.0.2.2', NOW + 1),
      entry('192.0.2.3', undefined),
    ],
    whitelist: [],
  });
  t.assert.deepEqual(
    parseFile(text, NOW)?.blacklist.map((e) => e.key),
    ['192.0.2.2', '192.0.2.3'],
  );
});

test('temporary files left by a crash during a write are removed at load', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'fraud.json');
  await writeFile(`${path}.4242.1.tmp`, '{"half');
  await writeFile(join(dir, 'other.tmp'), 'not ours');
  await createFileStore(path, { log: captureLog().log, read: () => lists }).load();
  t.assert.deepEqual((await readdir(dir)).sort(), ['other.tmp']);
});

const child = fileURLToPath(new URL('fixtures/crash-child.ts', import.meta.url));

test('entries survive kill -9 200 ms after the change', { timeout: 30_000 }, async (t) => {
  const path = join(await tempDir(t), 'fraud.json');
  const process_ = spawn(process.execPath, ['--import', 'tsx', child, path, '192.0.2.66'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => process_.kill('SIGKILL'));
  let output = '';
  process_.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  while (!output.includes('\n'))
    await once(process_.stdout, 'data', { signal: AbortSignal.timeout(20_000) });
  t.assert.equal(output, 'changed true\n');
  await new Promise((resolve) => setTimeout(resolve, 200));
  process_.kill('SIGKILL');
  const [, signal] = (await once(process_, 'exit')) as [number | null, string | null];
  t.assert.equal(signal, 'SIGKILL');

  const fraud = createFraudDetection(fraudOptions(path), {
    log: captureLog().log,
    metrics: createMetrics({ defaultMetrics: false }),
  });
  await fraud.start();
  t.after(() => fraud.stop());
  t.assert.equal(fraud.isBlocked('192.0.2.66'), true);
  t.assert.equal(fraud.isBlocked('2001:db8:7::abcd'), true);
  t.assert.deepEqual(
    fraud.snapshot().blacklist.map((e) => [e.key, e.reason, e.manual]),
    [
      ['192.0.2.66', 'http.backend-401', false],
      ['2001:db8:7::/64', 'manual', true],
    ],
  );
});
