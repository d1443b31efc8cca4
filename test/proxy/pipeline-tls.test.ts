import { once } from 'node:events';
import { test, type TestContext } from 'node:test';
import { connect as connectTls } from 'node:tls';
import type { ListenerType } from '../../src/proxy/protocol.ts';
import {
  type Backend,
  connectPlain,
  connectSecure,
  readToClose,
  readUntil,
  startBackend,
  startGateway,
  waitFor,
  WAIT_MS,
} from './support/harness.ts';
import { createPki, type Pki } from './support/pki.ts';
import { createTestProtocol } from './support/route-protocol.ts';

interface Backends {
  readonly plain: Backend;
  readonly secure: Backend;
}

async function backends(t: TestContext): Promise<Backends> {
  return {
    plain: await startBackend(t, 'plain'),
    secure: await startBackend(t, 'secure', { tls: true }),
  };
}

type Ports = { tcp?: number; tls?: number };

/** Routes one connection and returns the greeting of the backend it reached. */
async function reach(
  t: TestContext,
  pki: Pki,
  type: ListenerType,
  ports: Ports,
  client: { cert?: string; key?: string; identity?: string } = {},
  checkCertificate = false,
): Promise<string> {
  const gateway = await startGateway(t, {
    type,
    tls: pki.material,
    protocol: createTestProtocol({ kind: type.startsWith('ldap') ? 'ldap' : 'sip' }),
    services: [
      {
        name: 'pbx.example',
        host: '127.0.0.1',
        ports: { sip: ports, ldap: ports },
        checkCertificate,
      },
    ],
  });
  const isTls = type.endsWith('tls') || type === 'ldaps';
  const { identity, ...credentials } = client;
  const socket = isTls
    ? await connectSecure(gateway.port, credentials)
    : await connectPlain(gateway.port);
  t.after(() => socket.destroy());
  socket.write(`ROUTE pbx.example${identity === undefined ? '' : ` ${identity}`}\n`);
  const text = await readUntil(socket, (s) =>
    s.endsWith('pbx.example' + (identity === undefined ? '' : ` ${identity}`) + '\n'),
  );
  return text.slice(0, text.indexOf('\n'));
}

test('the encryption rules: both ports keep the client encryption, one port imposes its own', async (t) => {
  const pki = await createPki(t);
  const { plain, secure } = await backends(t);
  const both = { tcp: plain.port, tls: secure.port };
  const cases: [ListenerType, Ports, string][] = [
    ['sip-tcp', both, 'plain'],
    ['sip-tls', both, 'secure'],
    ['sip-tcp', { tls: secure.port }, 'secure'],
    ['sip-tls', { tcp: plain.port }, 'plain'],
    ['ldaps', both, 'secure'],
  ];
  for (const [type, ports, expected] of cases) {
    t.assert.equal(
      await reach(t, pki, type, ports),
      expected,
      `${type} to ${JSON.stringify(ports)}`,
    );
  }
});

test('checkCertificate: TLS to the backend only for a trusted certificate naming the identity', async (t) => {
  const pki = await createPki(t);
  const { plain, secure } = await backends(t);
  const both = { tcp: plain.port, tls: secure.port };
  const cases: [string, { cert?: string; key?: string; identity?: string }, string][] = [
    ['trusted, CN = identity', { ...pki.alice, identity: 'alice' }, 'secure'],
    ['trusted, URI SAN = identity', { ...pki.alice, identity: 'sip:alice@example.com' }, 'secure'],
    ['trusted, email SAN = identity', { ...pki.alice, identity: 'ALICE@example.com' }, 'secure'],
    ['trusted, another identity', { ...pki.alice, identity: 'bob' }, 'plain'],
    ['untrusted, CN = identity', { ...pki.mallory, identity: 'alice' }, 'plain'],
    ['no certificate', { identity: 'alice' }, 'plain'],
  ];
  for (const [name, client, expected] of cases) {
    t.assert.equal(await reach(t, pki, 'sip-tls', both, client, true), expected, name);
  }
  t.assert.equal(await reach(t, pki, 'sip-tcp', both, { identity: 'alice' }, true), 'plain');
});

test('LDAP StartTLS is answered by the gateway, then the first message is sniffed under TLS', async (t) => {
  const pki = await createPki(t);
  const { plain, secure } = await backends(t);
  const gateway = await startGateway(t, {
    type: 'ldap',
    tls: pki.material,
    protocol: createTestProtocol({ kind: 'ldap' }),
    services: [
      {
        name: 'pbx.example',
        host: '127.0.0.1',
        ports: { ldap: { tcp: plain.port, tls: secure.port } },
      },
    ],
  });
  const tcp = await connectPlain(gateway.port);
  tcp.write('STARTTLS\n');
  t.assert.equal(await readUntil(tcp, (s) => s.endsWith('\n')), 'OK\n');
  const tls = connectTls({ socket: tcp, rejectUnauthorized: false, servername: 'gateway.example' });
  t.after(() => tls.destroy());
  await once(tls, 'secureConnect', { signal: AbortSignal.timeout(WAIT_MS) });
  tls.write('ROUTE pbx.example\n');
  t.assert.equal(
    await readUntil(tls, (s) => s.endsWith('example\n')),
    'secure\nROUTE pbx.example\n',
  );
  t.assert.deepEqual(gateway.events, []);
});

test('StartTLS with bytes pipelined behind it is refused', async (t) => {
  const pki = await createPki(t);
  const gateway = await startGateway(t, {
    type: 'ldap',
    tls: pki.material,
    protocol: createTestProtocol({ kind: 'ldap' }),
    services: [],
  });
  const client = await connectPlain(gateway.port);
  client.write('STARTTLS\n\x16\x03\x01');
  t.assert.equal(await readToClose(client), 'REFUSED malformed\n');
  t.assert.deepEqual(gateway.events, [{ ip: '127.0.0.1', reason: 'proxy.starttls-refused' }]);
});

test('a failed TLS handshake is suspicious; a client that leaves without a byte is not', async (t) => {
  const pki = await createPki(t);
  const gateway = await startGateway(t, { type: 'sip-tls', tls: pki.material, services: [] });
  const garbage = await connectPlain(gateway.port);
  garbage.write('ROUTE pbx.example\n');
  await readToClose(garbage);
  const silent = await connectPlain(gateway.port);
  silent.end();
  await readToClose(silent);
  await waitFor(
    () => gateway.logLines.filter((l) => l['msg'] === 'proxy connection closed').length === 2,
  );
  t.assert.deepEqual(gateway.events, [{ ip: '127.0.0.1', reason: 'tls.handshake-failed' }]);
  const outcomes = gateway.logLines
    .filter((l) => l['msg'] === 'proxy connection closed')
    .map((l) => l['outcome']);
  t.assert.deepEqual(outcomes.sort(), ['client-closed', 'tls-failed']);
});
