import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { type Socket, createServer } from 'node:net';
import { test } from 'node:test';
import {
  connectPlain,
  listenOn,
  readToClose,
  readUntil,
  startBackend,
  startGateway,
  waitFor,
  WAIT_MS,
} from './support/harness.ts';
import { createTestProtocol } from './support/route-protocol.ts';

/** Of the 48 MiB of the bulk tests: kernel buffers and a gateway that holds back fit well below. */
const MAX_IN_FLIGHT_MIB = 28;

const service = (port: number): unknown => ({
  name: 'pbx.example',
  host: '127.0.0.1',
  ports: { sip: { tcp: port } },
});

test("the client's half-close reaches the backend, whose answer still reaches the client", async (t) => {
  for (const tls of [false, true]) {
    const backend = await startBackend(t, 'pbx', { tls }); // echoes, and ends after the client
    const ports = tls ? { tls: backend.port } : { tcp: backend.port };
    const gateway = await startGateway(t, {
      services: [{ name: 'pbx.example', host: '127.0.0.1', ports: { sip: ports } }],
    });
    const client = await connectPlain(gateway.port, { allowHalfOpen: true });
    client.end('ROUTE pbx.example\nlast words\n');
    t.assert.equal(
      await readToClose(client),
      'pbx\nROUTE pbx.example\nlast words\n',
      `tls: ${tls}`,
    );
  }
});

test("the backend's half-close reaches the client, which can still send", async (t) => {
  const received: Buffer[] = [];
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.end('bye\n'); // the backend is done talking, not listening
    socket.on('end', () => socket.destroy());
  });
  const port = await listenOn(t, server);
  const gateway = await startGateway(t, { services: [service(port)] });
  const client = await connectPlain(gateway.port, { allowHalfOpen: true });
  client.write('ROUTE pbx.example\n');
  const ended = once(client, 'end', { signal: AbortSignal.timeout(WAIT_MS) });
  t.assert.equal(await readUntil(client, (s) => s === 'bye\n'), 'bye\n');
  await ended;
  client.end('after the FIN\n');
  await once(client, 'close', { signal: AbortSignal.timeout(WAIT_MS) });
  await waitFor(() => Buffer.concat(received).toString().includes('after the FIN\n'));
  t.assert.equal(Buffer.concat(received).toString(), 'ROUTE pbx.example\nafter the FIN\n');
});

test('48 MiB to a slow reader arrive intact, and the backend is held back meanwhile', async (t) => {
  const size = 48 * 1024 * 1024;
  const payload = randomBytes(size);
  let backendSocket: Socket | undefined;
  const server = createServer((socket: Socket) => {
    backendSocket = socket;
    socket.once('data', () => {
      // Honours backpressure itself: what it hands to the kernel is what the gateway let through.
      let at = 0;
      const pump = (): void => {
        while (at < size) {
          const chunk = payload.subarray(at, at + 65536);
          at += chunk.length;
          if (!socket.write(chunk)) {
            socket.once('drain', pump);
            return;
          }
        }
        socket.end();
      };
      pump();
    });
  });
  const port = await listenOn(t, server);
  const gateway = await startGateway(t, { services: [service(port)] });
  const client = await connectPlain(gateway.port);
  client.write('ROUTE pbx.example\n');
  const hash = createHash('sha256');
  let received = 0;
  let peakInFlight = 0;
  client.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    const stalls = received === 0;
    received += chunk.length;
    const sent = (backendSocket?.bytesWritten ?? 0) - (backendSocket?.writableLength ?? 0);
    peakInFlight = Math.max(peakInFlight, sent - received);
    // A slow reader: a long stall after the first chunk, a short one after every other.
    client.pause();
    setTimeout(() => client.resume(), stalls ? 1000 : 1);
  });
  await once(client, 'end', { signal: AbortSignal.timeout(30_000) });
  t.assert.equal(received, size);
  t.assert.equal(hash.digest('hex'), createHash('sha256').update(payload).digest('hex'));
  // In flight = the kernel's socket buffers on both hops (8-16 MiB on loopback, as TCP autotuning
  // grows them) plus what the gateway holds (a read buffer or two, at most 1 MiB each); without
  // backpressure the gateway would take all 48 MiB during the stall.
  const inFlightMiB = peakInFlight / 1024 / 1024;
  t.assert.equal(inFlightMiB < MAX_IN_FLIGHT_MIB, true, `${inFlightMiB.toFixed(1)} MiB in flight`);
});

test('48 MiB from the client to a slow backend arrive intact, and the client is held back', async (t) => {
  // The client's side of a plain listener reads into pooled buffers, each lent to the backend
  // write until it is flushed: a buffer reused too early would corrupt the stream.
  const size = 48 * 1024 * 1024;
  const payload = randomBytes(size);
  const hash = createHash('sha256');
  let received = 0;
  let peakInFlight = 0;
  const gatewaySide: { client?: Socket } = {};
  const server = createServer((socket: Socket) => {
    const head = 'ROUTE pbx.example\n'.length;
    let skipped = 0;
    socket.on('data', (chunk: Buffer) => {
      const body = chunk.subarray(Math.max(0, head - skipped));
      skipped += chunk.length - body.length;
      hash.update(body);
      const stalls = received === 0 && body.length > 0;
      received += body.length;
      const { client } = gatewaySide;
      const sent = (client?.bytesWritten ?? 0) - (client?.writableLength ?? 0) - head;
      peakInFlight = Math.max(peakInFlight, sent - received);
      socket.pause();
      setTimeout(() => socket.resume(), stalls ? 1000 : 1);
      if (received === size) socket.end();
    });
  });
  const port = await listenOn(t, server);
  const gateway = await startGateway(t, { services: [service(port)] });
  const client = await connectPlain(gateway.port, { allowHalfOpen: true });
  gatewaySide.client = client;
  client.write('ROUTE pbx.example\n');
  client.end(payload);
  await once(client, 'end', { signal: AbortSignal.timeout(30_000) });
  t.assert.equal(received, size);
  t.assert.equal(hash.digest('hex'), createHash('sha256').update(payload).digest('hex'));
  const inFlightMiB = peakInFlight / 1024 / 1024;
  t.assert.equal(inFlightMiB < MAX_IN_FLIGHT_MIB, true, `${inFlightMiB.toFixed(1)} MiB in flight`);
});

test('a relayed connection idle for idleTimeout is closed', async (t) => {
  const backend = await startBackend(t, 'pbx');
  const gateway = await startGateway(t, {
    services: [service(backend.port)],
    proxy: { idleTimeout: '300ms' },
  });
  const client = await connectPlain(gateway.port);
  client.write('ROUTE pbx.example\n');
  await readUntil(client, (s) => s.endsWith('example\n'));
  const started = Date.now();
  await readToClose(client);
  const elapsed = Date.now() - started;
  t.assert.equal(elapsed >= 250 && elapsed < 2000, true, `closed after ${elapsed} ms`);
  await waitFor(() => gateway.logLines.some((l) => l['reason'] === 'proxy.idle-timeout'));
});

test("the watcher's refusal stops the relay before the refused bytes reach the backend", async (t) => {
  const backend = await startBackend(t, 'pbx');
  const protocol = createTestProtocol({ forbiddenWord: 'EVIL', deniedWord: 'DENIED' });
  const gateway = await startGateway(t, { services: [service(backend.port)], protocol });
  const client = await connectPlain(gateway.port);
  client.write('ROUTE pbx.example\n');
  await readUntil(client, (s) => s.endsWith('example\n'));
  client.write('DENIED\n'); // echoed by the backend: the watcher sees it coming back
  await readUntil(client, (s) => s.endsWith('DENIED\n'));
  const closed = readToClose(client);
  client.write('EVIL\n');
  t.assert.equal(await closed, 'REFUSED forbidden\n');
  const received = Buffer.concat((await backend.nextConnection()).received).toString();
  t.assert.equal(received, 'ROUTE pbx.example\nDENIED\n');
  t.assert.deepEqual(
    gateway.events.map((event) => event.reason),
    ['test.denied', 'test.forbidden-word'],
  );
  t.assert.deepEqual(protocol.refusals, [{ message: 'EVIL\n', cause: 'forbidden' }]);
});

test('stopping the listener closes its open connections', async (t) => {
  const backend = await startBackend(t, 'pbx');
  const gateway = await startGateway(t, { services: [service(backend.port)] });
  const routed = await connectPlain(gateway.port);
  routed.write('ROUTE pbx.example\n');
  await readUntil(routed, (s) => s.endsWith('example\n'));
  const pending = await connectPlain(gateway.port);
  const closed = Promise.all([readToClose(routed), readToClose(pending)]);
  await gateway.listener.stop();
  await closed;
  t.assert.equal(gateway.listener.address(), undefined);
});
