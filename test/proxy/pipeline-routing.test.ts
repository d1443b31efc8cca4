import { once } from 'node:events';
import { test } from 'node:test';
import { decodeProxyHeader } from '../../src/net/proxy-protocol.ts';
import {
  connectPlain,
  readToClose,
  readUntil,
  startBackend,
  startGateway,
  waitFor,
  WAIT_MS,
} from './support/harness.ts';
import { freePort } from '../support/stun-server.ts';

test('a connection is routed by its first message to the right one of two backends', async (t) => {
  const alpha = await startBackend(t, 'alpha');
  const beta = await startBackend(t, 'beta');
  const gateway = await startGateway(t, {
    services: [
      { name: 'alpha.example', host: '127.0.0.1', ports: { sip: { tcp: alpha.port } } },
      { name: 'Beta.Example', host: '127.0.0.1', ports: { sip: { tcp: beta.port } } },
    ],
  });
  const client = await connectPlain(gateway.port);
  t.after(() => client.destroy());
  client.write('ROUTE beta.EXAMPLE\nand more\n');
  const text = await readUntil(client, (s) => s.includes('and more\n'));
  t.assert.equal(text, 'beta\nROUTE beta.EXAMPLE\nand more\n');
  t.assert.equal(alpha.connections.length, 0);
  t.assert.deepEqual(gateway.events, []);
  client.end();
  await once(client, 'close', { signal: AbortSignal.timeout(WAIT_MS) });
  await waitFor(() => gateway.logLines.some((line) => line['msg'] === 'proxy connection closed'));
  const line = gateway.logLines.find((l) => l['msg'] === 'proxy connection closed') ?? {};
  t.assert.equal(line['outcome'], 'routed');
  t.assert.equal(line['service'], 'Beta.Example');
  t.assert.equal(line['type'], 'sip-tcp');
  t.assert.equal(line['remoteIp'], '127.0.0.1');
  t.assert.equal(line['target'], `127.0.0.1:${beta.port}`);
  t.assert.equal(line['bytesIn'], 28);
  t.assert.equal(line['bytesOut'], 33);
  t.assert.equal(typeof line['durationMs'], 'number');
  t.assert.equal(await gateway.metric('pbxgate_proxy_connections_total', { outcome: 'routed' }), 1);
  const bytesIn = { type: 'sip-tcp', direction: 'client-to-backend' };
  t.assert.equal(await gateway.metric('pbxgate_proxy_relayed_bytes_total', bytesIn), 28);
});

test('an unknown service gets the protocol refusal and is reported as suspicious', async (t) => {
  const backend = await startBackend(t, 'alpha');
  const gateway = await startGateway(t, {
    services: [{ name: 'alpha.example', host: '127.0.0.1', ports: { sip: { tcp: backend.port } } }],
  });
  const client = await connectPlain(gateway.port);
  client.write('ROUTE nobody.example\n');
  t.assert.equal(await readToClose(client), 'REFUSED unknown-service\n');
  t.assert.deepEqual(gateway.events, [{ ip: '127.0.0.1', reason: 'proxy.unknown-service' }]);
  t.assert.deepEqual(gateway.protocol.refusals, [
    { message: 'ROUTE nobody.example\n', cause: 'unknown-service' },
  ]);
  t.assert.equal(backend.connections.length, 0);
  t.assert.equal(
    await gateway.metric('pbxgate_proxy_refusals_total', { reason: 'unknown-service' }),
    1,
  );
});

test('a service without a port for the listener kind is unknown to it', async (t) => {
  const backend = await startBackend(t, 'ldap');
  const gateway = await startGateway(t, {
    services: [
      { name: 'alpha.example', host: '127.0.0.1', ports: { ldap: { tcp: backend.port } } },
    ],
  });
  const client = await connectPlain(gateway.port);
  client.write('ROUTE alpha.example\n');
  t.assert.equal(await readToClose(client), 'REFUSED unknown-service\n');
  t.assert.equal(backend.connections.length, 0);
});

test('a client outside the allow-list of the request kind is refused as forbidden', async (t) => {
  const backend = await startBackend(t, 'alpha');
  const services = (allow: string[]): unknown[] => [
    {
      name: 'alpha.example',
      host: '127.0.0.1',
      ports: { sip: { tcp: backend.port } },
      allow: { sip: allow, http: ['127.0.0.0/8'] },
    },
  ];
  const closed = await startGateway(t, { services: services(['198.51.100.0/24', '::1']) });
  const client = await connectPlain(closed.port);
  client.write('ROUTE alpha.example\n');
  t.assert.equal(await readToClose(client), 'REFUSED forbidden\n');
  t.assert.deepEqual(closed.events, [{ ip: '127.0.0.1', reason: 'proxy.forbidden' }]);
  t.assert.equal(backend.connections.length, 0);

  const open = await startGateway(t, { services: services(['127.0.0.0/8']) });
  const admitted = await connectPlain(open.port);
  t.after(() => admitted.destroy());
  admitted.write('ROUTE alpha.example\n');
  t.assert.equal(
    await readUntil(admitted, (s) => s.endsWith('example\n')),
    'alpha\nROUTE alpha.example\n',
  );
});

test('a backend behind PROXY protocol v2 receives the client and gateway addresses first', async (t) => {
  const backend = await startBackend(t, 'alpha', { greet: false });
  const gateway = await startGateway(t, {
    services: [
      {
        name: 'alpha.example',
        host: '127.0.0.1',
        ports: { sip: { tcp: backend.port } },
        proxyProtocol: 'v2',
      },
    ],
  });
  const client = await connectPlain(gateway.port);
  t.after(() => client.destroy());
  client.write('ROUTE alpha.example\n');
  await readUntil(client, (s) => s.endsWith('example\n'));
  const received = Buffer.concat((await backend.nextConnection()).received);
  const header = decodeProxyHeader(received);
  t.assert.equal(header.kind, 'ok');
  if (header.kind !== 'ok') return;
  t.assert.deepEqual(header.value, {
    version: 2,
    addresses: {
      source: { ip: '127.0.0.1', port: client.localPort },
      destination: { ip: '127.0.0.1', port: gateway.port },
    },
  });
  t.assert.equal(received.subarray(0, 13).toString('hex'), '0d0a0d0a000d0a515549540a21');
  t.assert.equal(received.subarray(header.size).toString(), 'ROUTE alpha.example\n');
});

test('a backend that is down gets the client a refusal, and the listener keeps serving', async (t) => {
  const up = await startBackend(t, 'up');
  const gateway = await startGateway(t, {
    services: [
      { name: 'down.example', host: '127.0.0.1', ports: { sip: { tcp: await freePort() } } },
      { name: 'up.example', host: '127.0.0.1', ports: { sip: { tcp: up.port } } },
    ],
  });
  const refused = await connectPlain(gateway.port);
  refused.write('ROUTE down.example\n');
  t.assert.equal(await readToClose(refused), 'REFUSED backend-unavailable\n');
  t.assert.deepEqual(gateway.events, [{ ip: '127.0.0.1', reason: 'proxy.backend-unavailable' }]);
  const served = await connectPlain(gateway.port);
  t.after(() => served.destroy());
  served.write('ROUTE up.example\n');
  t.assert.equal(await readUntil(served, (s) => s.endsWith('example\n')), 'up\nROUTE up.example\n');
});
