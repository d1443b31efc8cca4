// Test certificates made with the openssl CLI: a phones CA, a client certificate it signed for
// `alice` (CN and URI/email SANs), a self-signed look-alike, and gateway TLS material trusting the CA.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { createSelfSignedCertificate } from '../../../src/net/self-signed.ts';
import { type TlsMaterial, loadTlsContext } from '../../../src/net/tls.ts';

const run = promisify(execFile);

export interface Pki {
  readonly material: TlsMaterial;
  /** Signed by the trusted CA: CN=alice, URI:sip:alice@example.com, email:alice@example.com. */
  readonly alice: { readonly cert: string; readonly key: string };
  /** Self-signed with the same CN: presented, but not trusted. */
  readonly mallory: { readonly cert: string; readonly key: string };
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

export async function createPki(t: TestContext): Promise<Pki> {
  const dir = await mkdtemp(join(tmpdir(), 'pbxgate-pki-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const at = (name: string): string => join(dir, name);
  await run('openssl', [
    'req',
    '-x509',
    ...EC,
    '-keyout',
    at('ca.key'),
    '-out',
    at('ca.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=pbxgate test phones CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  ]);
  await run('openssl', [
    'req',
    ...EC,
    '-keyout',
    at('alice.key'),
    '-out',
    at('alice.csr'),
    '-subj',
    '/CN=alice',
  ]);
  await writeFile(
    at('alice.ext'),
    'subjectAltName=URI:sip:alice@example.com,email:alice@example.com\nextendedKeyUsage=clientAuth\n',
  );
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    at('alice.csr'),
    '-CA',
    at('ca.pem'),
    '-CAkey',
    at('ca.key'),
    '-CAcreateserial',
    '-out',
    at('alice.pem'),
    '-days',
    '1',
    '-extfile',
    at('alice.ext'),
  ]);
  await run('openssl', [
    'req',
    '-x509',
    ...EC,
    '-keyout',
    at('mallory.key'),
    '-out',
    at('mallory.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=alice',
  ]);
  const gateway = createSelfSignedCertificate({
    commonName: 'gateway.example',
    altNames: ['gateway.example', '127.0.0.1'],
    days: 1,
  });
  await writeFile(at('gateway.pem'), gateway.certPem);
  await writeFile(at('gateway.key'), gateway.keyPem);
  const material = await loadTlsContext({
    certificates: [{ cert: at('gateway.pem'), key: at('gateway.key') }],
    trust: [at('ca.pem')],
    stateDir: dir,
    log: { info: () => undefined, warn: () => undefined },
  });
  const read = (name: string): Promise<string> => readFile(at(name), 'utf8');
  return {
    material,
    alice: { cert: await read('alice.pem'), key: await read('alice.key') },
    mallory: { cert: await read('mallory.pem'), key: await read('mallory.key') },
  };
}
