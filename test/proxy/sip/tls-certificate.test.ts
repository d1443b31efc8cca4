// SIP/TLS with checkCertificate, through the pipeline with the real SIP protocol: a REGISTER whose
// client certificate (trusted by tls.trust) names the From user goes to the backend over TLS;
// without one, with an untrusted one, or for another user it goes over plain TCP.

import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { createSipProtocol } from '../../../src/proxy/sip/protocol.ts';
import { connectSecure, readUntil, startBackend, startGateway } from '../support/harness.ts';
import { type Pki, createPki } from '../support/pki.ts';

function register(user: string): string {
  return [
    `REGISTER sip:example.com SIP/2.0`,
    'Via: SIP/2.0/TLS 127.0.0.1:5099;branch=z9hG4bK-cert',
    'Max-Forwards: 70',
    `From: <sip:${user}@example.com>;tag=1`,
    `To: <sip:${user}@example.com>`,
    'Call-ID: cert-test@127.0.0.1',
    'CSeq: 1 REGISTER',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** Which backend (plain or secure) greeted a REGISTER for `user` sent with `client` credentials. */
async function reached(
  t: TestContext,
  pki: Pki,
  user: string,
  client: { cert?: string; key?: string },
): Promise<string> {
  const plain = await startBackend(t, 'plain');
  const secure = await startBackend(t, 'secure', { tls: true });
  const gateway = await startGateway(t, {
    type: 'sip-tls',
    tls: pki.material,
    protocol: createSipProtocol(),
    services: [
      {
        name: 'example.com',
        host: '127.0.0.1',
        ports: { sip: { tcp: plain.port, tls: secure.port } },
        checkCertificate: true,
      },
    ],
  });
  const socket = await connectSecure(gateway.port, client);
  t.after(() => socket.destroy());
  socket.write(register(user));
  const text = await readUntil(socket, (s) => s.includes('\n'));
  return text.slice(0, text.indexOf('\n'));
}

test('checkCertificate for SIP: TLS to the backend only for a trusted certificate of the From user', async (t) => {
  const pki = await createPki(t);
  t.assert.equal(await reached(t, pki, 'alice', pki.alice), 'secure');
  t.assert.equal(await reached(t, pki, 'bob', pki.alice), 'plain');
  t.assert.equal(await reached(t, pki, 'alice', pki.mallory), 'plain');
  t.assert.equal(await reached(t, pki, 'alice', {}), 'plain');
});
