// The H.323 plug-in in a real proxy listener (h323-tcp) on 127.0.0.1: a tunnelled RRQ routes to
// the slave service of its registration location (the master without one), the backend's
// security-denial RRJ reaches the client and counts, a later RRQ for another gatekeeper closes
// the connection before the backend sees it.

import { once } from 'node:events';
import { test } from 'node:test';
import { createH323Protocol } from '../../../src/proxy/h323/protocol.ts';
import {
  WAIT_MS,
  connectPlain,
  readToClose,
  startBackend,
  startGateway,
  waitFor,
} from '../support/harness.ts';
import { rrj, rrq } from './support/builders.ts';
import { DOC_RRQ_FACILITY } from './support/doc-vectors.ts';
import { rasFacility } from './support/h225-messages.ts';

const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

function services(master: number, slave?: number): unknown[] {
  const service = (name: string, port: number): unknown => ({
    name,
    host: '127.0.0.1',
    ports: { h323: { tcp: port } },
  });
  return [
    service('pbx.example.com', master),
    ...(slave === undefined ? [] : [service('PBX.example.com/Site2', slave)]),
  ];
}

test('a split RRQ reaches the slave service; its RRJ counts; another gatekeeper closes', async (t) => {
  const master = await startBackend(t, 'master', { greet: false, echo: false });
  const slave = await startBackend(t, 'slave', { greet: false, echo: false });
  const gateway = await startGateway(t, {
    type: 'h323-tcp',
    services: services(master.port, slave.port),
    protocol: createH323Protocol(),
  });
  const client = await connectPlain(gateway.port);
  t.after(() => client.destroy());
  client.write(DOC_RRQ_FACILITY.subarray(0, 50));
  await new Promise((resolve) => setTimeout(resolve, 50));
  client.write(DOC_RRQ_FACILITY.subarray(50));
  const backend = await slave.nextConnection();
  await waitFor(() => Buffer.concat(backend.received).length === DOC_RRQ_FACILITY.length);
  t.assert.equal(latin1(Buffer.concat(backend.received)), latin1(DOC_RRQ_FACILITY));
  t.assert.equal(master.connections.length, 0);

  const reject = rrj({ extension: 3 }, 4661); // securityDenial, answering the RRQ's seq
  const received: Buffer[] = [];
  client.on('data', (chunk: Buffer) => received.push(chunk));
  backend.socket.write(reject);
  await waitFor(() => Buffer.concat(received).length === reject.length);
  t.assert.deepEqual(gateway.events, [{ ip: '127.0.0.1', reason: 'h323.registration-rejected' }]);

  client.write(rasFacility(rrq('other.example.com')));
  await once(client, 'close', { signal: AbortSignal.timeout(WAIT_MS) });
  await waitFor(() => gateway.events.length === 2);
  t.assert.deepEqual(gateway.events[1], { ip: '127.0.0.1', reason: 'h323.other-gatekeeper' });
  t.assert.equal(Buffer.concat(backend.received).length, DOC_RRQ_FACILITY.length);
});

test('without the slave service the registration goes to the master', async (t) => {
  const master = await startBackend(t, 'master', { greet: false, echo: false });
  const gateway = await startGateway(t, {
    type: 'h323-tcp',
    services: services(master.port),
    protocol: createH323Protocol(),
  });
  const client = await connectPlain(gateway.port);
  t.after(() => client.destroy());
  client.write(DOC_RRQ_FACILITY);
  const backend = await master.nextConnection();
  await waitFor(() => Buffer.concat(backend.received).length === DOC_RRQ_FACILITY.length);
  t.assert.deepEqual(gateway.events, []);
});

test('an unknown gatekeeper and bytes that are not H.323 are closed without an answer', async (t) => {
  const master = await startBackend(t, 'master', { greet: false, echo: false });
  const gateway = await startGateway(t, {
    type: 'h323-tcp',
    services: services(master.port),
    protocol: createH323Protocol(),
  });
  const unknown = await connectPlain(gateway.port);
  unknown.write(rasFacility(rrq('elsewhere.example')));
  t.assert.equal(await readToClose(unknown), '');
  const garbage = await connectPlain(gateway.port);
  garbage.write('GET / HTTP/1.1\r\n\r\n');
  t.assert.equal(await readToClose(garbage), '');
  await waitFor(() => gateway.events.length === 2);
  t.assert.deepEqual(
    gateway.events.map((e) => e.reason),
    ['proxy.unknown-service', 'h323.not-tpkt'],
  );
  t.assert.equal(master.connections.length, 0);
});
