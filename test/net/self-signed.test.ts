import { spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { once } from 'node:events';
import { test } from 'node:test';
import { connect, createServer } from 'node:tls';
import type { ConnectionOptions, Server, TLSSocket } from 'node:tls';
import { PbxgateError } from '../../src/errors.ts';
import { createSelfSignedCertificate } from '../../src/net/self-signed.ts';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
const now = new Date('2030-06-01T12:00:00.000Z');
const altNames = ['localhost', '*.example.com', '127.0.0.1', '::1', '2001:db8::ffff:192.0.2.1'];
const pem = createSelfSignedCertificate({ commonName: 'pbxgate', altNames, days: 30, now });
const x509 = new X509Certificate(pem.certPem);

test('node:crypto parses the certificate, its key matches and its signature verifies', (t) => {
  t.assert.equal(x509.subject, 'CN=pbxgate');
  t.assert.equal(x509.issuer, 'CN=pbxgate');
  t.assert.equal(x509.checkPrivateKey(createPrivateKey(pem.keyPem)), true);
  t.assert.equal(x509.verify(x509.publicKey), true);
  t.assert.equal(x509.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  t.assert.equal(x509.ca, false);
  t.assert.deepEqual(x509.keyUsage, ['1.3.6.1.5.5.7.3.1']); // node names extKeyUsage keyUsage
  t.assert.match(pem.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
});

test('every alt name is in the subjectAltName, IPs as iPAddress', (t) => {
  t.assert.equal(
    x509.subjectAltName,
    'DNS:localhost, DNS:*.example.com, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, ' +
      'IP Address:2001:DB8:0:0:0:FFFF:C000:201',
  );
  t.assert.equal(x509.checkHost('localhost'), 'localhost');
  t.assert.equal(x509.checkIP('127.0.0.1'), '127.0.0.1');
  t.assert.equal(x509.checkIP('::1'), '::1');
  t.assert.equal(x509.checkIP('2001:db8::ffff:c000:201'), '2001:db8::ffff:c000:201');
});

test('validity runs from an hour before now to now plus the days', (t) => {
  t.assert.equal(new Date(x509.validFrom).getTime(), now.getTime() - HOUR_MS);
  t.assert.equal(new Date(x509.validTo).getTime(), now.getTime() + 30 * DAY_MS);
});

test('a validity ending after 2049 is written as GeneralizedTime and still parses', (t) => {
  const late = new Date('2049-12-01T00:00:00Z');
  const cert = createSelfSignedCertificate({ commonName: 'x', altNames: [], days: 60, now: late });
  const parsed = new X509Certificate(cert.certPem);
  t.assert.equal(new Date(parsed.validTo).getTime(), late.getTime() + 60 * DAY_MS);
  t.assert.equal(parsed.subjectAltName, undefined);
});

test('the serial is a positive 16-octet random number', (t) => {
  const other = new X509Certificate(
    createSelfSignedCertificate({ commonName: 'pbxgate', altNames, days: 1 }).certPem,
  );
  t.assert.match(x509.serialNumber, /^[4-7][0-9A-F]{31}$/);
  t.assert.notEqual(other.serialNumber, x509.serialNumber);
});

test('bad names and validity are refused with PBX_ERR_TLS', (t) => {
  const isTlsError = (err: unknown): boolean =>
    err instanceof PbxgateError && err.code === 'PBX_ERR_TLS';
  const make = (commonName: string, names: string[], days: number) => () =>
    createSelfSignedCertificate({ commonName, altNames: names, days });
  t.assert.throws(make('ok', ['bad name'], 1), isTlsError);
  t.assert.throws(make('ok', ['a..b'], 1), isTlsError);
  t.assert.throws(make('ok', ['fe80::1%eth0'], 1), isTlsError);
  t.assert.throws(make('', [], 1), isTlsError);
  t.assert.throws(make('x'.repeat(65), [], 1), isTlsError);
  t.assert.throws(make('ok', [], 0), isTlsError);
});

test('openssl x509 parses the certificate', (t) => {
  const version = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  if (version.error !== undefined) {
    t.skip('openssl is not on PATH');
    return;
  }
  const text = spawnSync('openssl', ['x509', '-noout', '-text'], {
    input: pem.certPem,
    encoding: 'utf8',
  });
  t.assert.equal(text.status, 0, text.stderr);
  for (const expected of [
    'Version: 3 (0x2)',
    'Signature Algorithm: ecdsa-with-SHA256',
    'Issuer: CN = pbxgate',
    'Subject: CN = pbxgate',
    'NIST CURVE: P-256',
    'X509v3 Basic Constraints: critical',
    'CA:FALSE',
    'X509v3 Key Usage: critical',
    'Digital Signature',
    'TLS Web Server Authentication',
    'DNS:localhost, DNS:*.example.com, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
  ]) {
    t.assert.equal(text.stdout.includes(expected), true, `missing ${expected}`);
  }
  const strict = spawnSync('openssl', ['asn1parse', '-strictpem'], { input: pem.certPem });
  t.assert.equal(strict.status, 0, strict.stderr.toString());
});

async function startServer(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

async function handshake(options: ConnectionOptions): Promise<TLSSocket> {
  const socket = connect(options);
  await once(socket, 'secureConnect', { signal: AbortSignal.timeout(2000) });
  return socket;
}

test('a TLS client that trusts it as CA completes a handshake with it', async (t) => {
  const current = createSelfSignedCertificate({ commonName: 'pbxgate', altNames, days: 1 });
  const server = createServer({ cert: current.certPem, key: current.keyPem }, (socket) => {
    socket.end();
  });
  t.after(() => server.close());
  const port = await startServer(server);
  const fingerprint = new X509Certificate(current.certPem).fingerprint256;

  const byName = await handshake({
    host: '127.0.0.1',
    port,
    servername: 'localhost',
    ca: current.certPem,
  });
  t.after(() => byName.destroy());
  t.assert.equal(byName.authorized, true);
  t.assert.equal(byName.getPeerCertificate().fingerprint256, fingerprint);

  // No servername: node checks the IP against the iPAddress entries.
  const byIp = await handshake({ host: '127.0.0.1', port, ca: current.certPem });
  t.after(() => byIp.destroy());
  t.assert.equal(byIp.authorized, true);
});
