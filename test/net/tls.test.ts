import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { connect, createServer } from 'node:tls';
import type { ConnectionOptions, Server, TLSSocket } from 'node:tls';
import { pino } from 'pino';
import { PbxgateError } from '../../src/errors.ts';
import { createSelfSignedCertificate } from '../../src/net/self-signed.ts';
import { loadTlsContext } from '../../src/net/tls.ts';
import type { TlsFiles, TlsLog, TlsMaterial } from '../../src/net/tls.ts';

interface LogLine {
  readonly level: 'info' | 'warn';
  readonly obj: object;
  readonly msg: string;
}

function recordingLog(): TlsLog & { readonly lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
  };
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pbxgate-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function writePair(
  dir: string,
  name: string,
  commonName: string,
  altNames: string[],
): Promise<TlsFiles & { fingerprint256: string }> {
  const pem = createSelfSignedCertificate({ commonName, altNames, days: 90 });
  const files = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
  await writeFile(files.cert, pem.certPem);
  await writeFile(files.key, pem.keyPem);
  return { ...files, fingerprint256: new X509Certificate(pem.certPem).fingerprint256 };
}

async function startServer(t: TestContext, server: Server): Promise<number> {
  t.after(() => server.close());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

/** Connects, completes the handshake, reads what the test needs, and closes. */
async function handshake<T>(
  options: ConnectionOptions,
  read: (socket: TLSSocket) => T,
): Promise<T> {
  const socket = connect({ host: '127.0.0.1', rejectUnauthorized: false, ...options });
  try {
    await once(socket, 'secureConnect', { signal: AbortSignal.timeout(2000) });
    return read(socket);
  } finally {
    socket.destroy();
  }
}

function servedFingerprint(port: number, servername?: string): Promise<string> {
  const options = servername === undefined ? { port } : { port, servername };
  return handshake(options, (socket) => socket.getPeerCertificate().fingerprint256);
}

async function rejection(promise: Promise<unknown>): Promise<PbxgateError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof PbxgateError) return err;
    throw err;
  }
  throw new Error('expected a PbxgateError');
}

test('without certificates a self-signed one is generated into the state directory', async (t) => {
  const stateDir = join(await tempDir(t), 'state');
  const log = recordingLog();
  const material = await loadTlsContext({ certificates: [], trust: [], stateDir, log });

  const [info] = material.certificates;
  if (info === undefined) throw new Error('no certificate');
  t.assert.equal(info.certFile, join(stateDir, 'tls', 'self-signed.pem'));
  t.assert.equal(info.keyFile, join(stateDir, 'tls', 'self-signed.key'));
  t.assert.equal(info.commonName, 'pbxgate');
  for (const name of ['DNS:localhost', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1']) {
    t.assert.equal(info.altNames.includes(name), true, name);
  }
  t.assert.deepEqual(
    log.lines.map((line) => line.level),
    ['info'],
  );
  t.assert.equal((await stat(info.keyFile)).mode & 0o777, 0o600);
  t.assert.deepEqual((await readdir(join(stateDir, 'tls'))).sort(), [
    'self-signed.key',
    'self-signed.pem',
  ]);
});

test('a second load reuses the generated certificate (pino logger accepted)', async (t) => {
  const stateDir = await tempDir(t);
  const first = await loadTlsContext({
    certificates: [],
    trust: [],
    stateDir,
    log: recordingLog(),
  });
  const log = recordingLog();
  const second = await loadTlsContext({ certificates: [], trust: [], stateDir, log });
  t.assert.equal(second.certificates[0]?.fingerprint256, first.certificates[0]?.fingerprint256);
  t.assert.deepEqual(log.lines, []);
  const silent = pino({ level: 'silent' });
  const third = await loadTlsContext({ certificates: [], trust: [], stateDir, log: silent });
  t.assert.equal(third.certificates[0]?.fingerprint256, first.certificates[0]?.fingerprint256);
});

test('an unusable self-signed certificate is replaced, with a warning', async (t) => {
  const stateDir = await tempDir(t);
  const first = await loadTlsContext({
    certificates: [],
    trust: [],
    stateDir,
    log: recordingLog(),
  });
  await writeFile(join(stateDir, 'tls', 'self-signed.pem'), 'not a certificate');
  const log = recordingLog();
  const second = await loadTlsContext({ certificates: [], trust: [], stateDir, log });
  t.assert.notEqual(second.certificates[0]?.fingerprint256, first.certificates[0]?.fingerprint256);
  t.assert.deepEqual(
    log.lines.map((line) => line.level),
    ['warn', 'info'],
  );
});

test('SNI picks the matching certificate over a real TLS socket; the first is the default', async (t) => {
  const dir = await tempDir(t);
  const a = await writePair(dir, 'a', 'a.example.com', ['a.example.com']);
  const b = await writePair(dir, 'b', 'b.example.com', ['*.b.example.com']);
  const c = await writePair(dir, 'c', 'c.example.com', []); // CN only: matched by its CN
  const material = await loadTlsContext({
    certificates: [a, b, c],
    trust: [],
    stateDir: dir,
    log: recordingLog(),
  });
  const port = await startServer(t, createServer(material.secureContextOptions()));

  const cases: [string | undefined, string][] = [
    ['a.example.com', a.fingerprint256],
    ['x.b.example.com', b.fingerprint256],
    ['X.B.EXAMPLE.COM', b.fingerprint256],
    ['c.example.com', c.fingerprint256],
    ['y.x.b.example.com', a.fingerprint256], // a wildcard stands for one label only
    ['b.example.com', a.fingerprint256], // … and for exactly one
    ['unknown.example.net', a.fingerprint256],
    [undefined, a.fingerprint256], // no SNI at all
  ];
  for (const [servername, expected] of cases) {
    t.assert.equal(await servedFingerprint(port, servername), expected, servername);
  }
  t.assert.equal(
    material.selectContext('x.b.example.com.'),
    material.selectContext('z.b.example.com'),
  );
});

test('the server refuses a TLS 1.1 client and accepts TLS 1.2', async (t) => {
  const stateDir = await tempDir(t);
  const material = await loadTlsContext({
    certificates: [],
    trust: [],
    stateDir,
    log: recordingLog(),
  });
  t.assert.equal(material.secureContextOptions().minVersion, 'TLSv1.2');
  const server = createServer(material.secureContextOptions());
  const port = await startServer(t, server);
  const serverError = once(server, 'tlsClientError', { signal: AbortSignal.timeout(2000) });

  const old = {
    port,
    minVersion: 'TLSv1',
    maxVersion: 'TLSv1.1',
    ciphers: 'DEFAULT@SECLEVEL=0',
  } as const;
  await t.assert.rejects(
    handshake(old, () => undefined),
    { code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' },
  );
  const [err] = (await serverError) as [NodeJS.ErrnoException];
  t.assert.equal(err.code, 'ERR_SSL_UNSUPPORTED_PROTOCOL');

  const protocol = await handshake({ port, maxVersion: 'TLSv1.2' }, (s) => s.getProtocol());
  t.assert.equal(protocol, 'TLSv1.2');
});

test('trust files become the CA list of every context', async (t) => {
  const dir = await tempDir(t);
  const a = await writePair(dir, 'a', 'a.example.com', ['a.example.com']);
  const ca = await writePair(dir, 'ca', 'phones-ca', []);
  const material = await loadTlsContext({
    certificates: [a],
    trust: [ca.cert],
    stateDir: dir,
    log: recordingLog(),
  });
  const options = material.secureContextOptions();
  t.assert.equal(Array.isArray(options.ca) && options.ca.length, 1);
});

test('missing, broken and mismatched files are PBX_ERR_TLS errors naming the file', async (t) => {
  const dir = await tempDir(t);
  const a = await writePair(dir, 'a', 'a.example.com', ['a.example.com']);
  const b = await writePair(dir, 'b', 'b.example.com', ['b.example.com']);
  const garbage = join(dir, 'garbage.pem');
  await writeFile(garbage, 'hello');
  const missing = join(dir, 'missing.pem');
  const load = (certificates: TlsFiles[], trust: string[] = []): Promise<TlsMaterial> =>
    loadTlsContext({ certificates, trust, stateDir: dir, log: recordingLog() });

  const cases: [string, () => Promise<TlsMaterial>, string][] = [
    ['a missing certificate', () => load([{ cert: missing, key: a.key }]), missing],
    ['a missing key', () => load([{ cert: a.cert, key: missing }]), missing],
    ['a certificate that is not PEM', () => load([{ cert: garbage, key: a.key }]), garbage],
    ['a key that is not PEM', () => load([{ cert: a.cert, key: garbage }]), garbage],
    ['a key of another certificate', () => load([{ cert: a.cert, key: b.key }]), b.key],
    ['a missing trust file', () => load([a], [missing]), missing],
    ['a trust file without certificate', () => load([a], [garbage]), garbage],
  ];
  for (const [name, attempt, file] of cases) {
    const err = await rejection(attempt());
    t.assert.equal(err.code, 'PBX_ERR_TLS', name);
    t.assert.equal(err.message.includes(file), true, `${name}: ${err.message}`);
  }
});

test('reload re-reads the files and an existing server serves the new certificate', async (t) => {
  const dir = await tempDir(t);
  const first = await writePair(dir, 'gw', 'gw.example.com', ['gw.example.com']);
  let current = await loadTlsContext({
    certificates: [first],
    trust: [],
    stateDir: dir,
    log: recordingLog(),
  });
  // The listener pattern: node keeps the SNICallback given at creation, so it goes through `current`.
  const server = createServer({
    ...current.secureContextOptions(),
    SNICallback: (name, cb) => {
      cb(null, current.selectContext(name));
    },
  });
  const port = await startServer(t, server);
  t.assert.equal(await servedFingerprint(port, 'gw.example.com'), first.fingerprint256);

  const second = await writePair(dir, 'gw', 'gw.example.com', ['gw.example.com']);
  current = await current.reload();
  server.setSecureContext(current.secureContextOptions());
  t.assert.equal(current.certificates[0]?.fingerprint256, second.fingerprint256);
  t.assert.equal(await servedFingerprint(port, 'gw.example.com'), second.fingerprint256);
  t.assert.equal(await servedFingerprint(port), second.fingerprint256);

  await rm(second.key);
  const err = await rejection(current.reload());
  t.assert.equal(err.code, 'PBX_ERR_TLS');
  t.assert.equal(err.message.includes(second.key), true, err.message);
});

test('an expired configured certificate still loads, with a warning naming it', async (t) => {
  const dir = await tempDir(t);
  const now = new Date(Date.now() - 10 * 24 * 60 * 60 * 1000);
  const pem = createSelfSignedCertificate({ commonName: 'old', altNames: ['old'], days: 1, now });
  const files = { cert: join(dir, 'old.pem'), key: join(dir, 'old.key') };
  await writeFile(files.cert, pem.certPem);
  await writeFile(files.key, pem.keyPem);
  const log = recordingLog();
  await loadTlsContext({ certificates: [files], trust: [], stateDir: dir, log });
  t.assert.deepEqual(
    log.lines.map((line) => [line.level, line.msg]),
    [['warn', 'TLS certificate has expired']],
  );
  const validTo = new Date(new X509Certificate(pem.certPem).validTo);
  t.assert.deepEqual(log.lines[0]?.obj, { file: files.cert, validTo });
});

test('a self-signed certificate close to its end is replaced', async (t) => {
  const stateDir = await tempDir(t);
  const first = await loadTlsContext({
    certificates: [],
    trust: [],
    stateDir,
    log: recordingLog(),
  });
  const [info] = first.certificates;
  if (info === undefined) throw new Error('no certificate');
  const soon = createSelfSignedCertificate({ commonName: 'pbxgate', altNames: [], days: 10 });
  await writeFile(info.certFile, soon.certPem);
  await writeFile(info.keyFile, soon.keyPem);
  const log = recordingLog();
  const second = await loadTlsContext({ certificates: [], trust: [], stateDir, log });
  t.assert.notEqual(second.certificates[0]?.fingerprint256, info.fingerprint256);
  t.assert.notEqual(second.certificates[0]?.fingerprint256, fingerprintOf(soon.certPem));
  t.assert.deepEqual(
    log.lines.map((line) => line.level),
    ['warn', 'info'],
  );
});

function fingerprintOf(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}
