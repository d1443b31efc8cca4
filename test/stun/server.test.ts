import { once } from 'node:events';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { test, type TestContext } from 'node:test';
import fc from 'fast-check';
import { readBindingResult } from '../../src/stun/binding-result.ts';
import { StunUdpClient, buildBindingRequest } from '../../src/stun/client.ts';
import { transactStream } from '../../src/stun/client-stream.ts';
import { decodeStunMessage } from '../../src/stun/message.ts';
import { freePort, portOf, startStunServer } from '../support/stun-server.ts';

async function udpClient(t: TestContext, address = '127.0.0.1'): Promise<StunUdpClient> {
  const client = new StunUdpClient(address.includes(':') ? 6 : 4);
  await client.bind(address);
  t.after(() => {
    client.close();
  });
  return client;
}

const fast = { rtoMs: 100, maxSends: 3, finalWaitFactor: 4 };

function mappedOf(response: Awaited<ReturnType<StunUdpClient['transact']>>) {
  const result = readBindingResult(response.message);
  if (typeof result === 'string') throw new Error(result);
  return result;
}

test('a Binding request over UDP, IPv4 and IPv6, gets the client its own address', async (t) => {
  const { server } = await startStunServer(t, {
    listen: [
      { transport: 'udp', host: '127.0.0.1', port: 0 },
      { transport: 'udp', host: '::1', port: 0 },
    ],
  });
  for (const [family, host] of [
    ['udp://127.0.0.1', '127.0.0.1'],
    ['udp://[::1]', '::1'],
  ] as const) {
    const client = await udpClient(t, host);
    const local = client.socket.address();
    const response = await client.transact(
      buildBindingRequest(),
      { address: host, port: portOf(server, family) },
      fast,
    );
    t.assert.deepEqual(mappedOf(response).mapped, {
      family: host === '::1' ? 6 : 4,
      address: host,
      port: local.port,
    });
  }
});

test('Binding over TCP and TLS is answered on the stream', async (t) => {
  const { server, certPem } = await startStunServer(t, {
    listen: [
      { transport: 'tcp', host: '127.0.0.1', port: 0 },
      { transport: 'tls', host: '127.0.0.1', port: 0 },
    ],
  });
  const tcp = await transactStream(
    buildBindingRequest(),
    { address: '127.0.0.1', port: portOf(server, 'tcp://') },
    2000,
  );
  t.assert.equal(mappedOf(tcp).mapped?.address, '127.0.0.1');
  const tls = await transactStream(
    buildBindingRequest(),
    {
      address: '127.0.0.1',
      port: portOf(server, 'tls://'),
      tls: { ca: certPem, servername: 'localhost' },
    },
    2000,
  );
  t.assert.equal(mappedOf(tls).mapped?.address, '127.0.0.1');
});

test('two requests in one TCP write and one request split byte by byte are all answered', async (t) => {
  const { server } = await startStunServer(t, {
    listen: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }],
  });
  const socket = connect(portOf(server, 'tcp://'), '127.0.0.1');
  t.after(() => socket.destroy());
  await once(socket, 'connect');
  const [a, b, c] = [buildBindingRequest(), buildBindingRequest(), buildBindingRequest()];
  socket.write(Buffer.concat([a.bytes, b.bytes]));
  for (const byte of c.bytes) socket.write(Buffer.from([byte]));
  let received = Buffer.alloc(0);
  const ids: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`only ${ids.length} answers`));
    }, 2000);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      for (;;) {
        const decoded = decodeStunMessage(received);
        if (decoded.kind !== 'ok') break;
        ids.push(Buffer.from(decoded.value.transactionId).toString('hex'));
        received = received.subarray(decoded.size);
      }
      if (ids.length === 3) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  t.assert.deepEqual(
    ids,
    [a, b, c].map((r) => r.transactionId.toString('hex')),
  );
});

test('garbage on a TCP connection closes it and is reported as suspicious', async (t) => {
  const { server, events } = await startStunServer(t, {
    listen: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }],
  });
  const socket = connect(portOf(server, 'tcp://'), '127.0.0.1');
  t.after(() => socket.destroy());
  await once(socket, 'connect');
  socket.write('GET / HTTP/1.1\r\n\r\n');
  await once(socket, 'close', { signal: AbortSignal.timeout(2000) });
  t.assert.deepEqual(events, [{ ip: '127.0.0.1', reason: 'stun.not-stun' }]);
});

test('a TLS client that sends no STUN is closed too, and a failed handshake does not hurt the server', async (t) => {
  const { server, certPem } = await startStunServer(t, {
    listen: [{ transport: 'tls', host: '127.0.0.1', port: 0 }],
  });
  const port = portOf(server, 'tls://');
  const plain = connect(port, '127.0.0.1');
  t.after(() => plain.destroy());
  plain.write('not a TLS hello at all\r\n');
  await once(plain, 'close', { signal: AbortSignal.timeout(2000) });
  const secure = connectTls({ port, host: '127.0.0.1', ca: certPem, servername: 'localhost' });
  t.after(() => secure.destroy());
  await once(secure, 'secureConnect');
  secure.write(Buffer.alloc(40, 0xff));
  await once(secure, 'close', { signal: AbortSignal.timeout(2000) });
  const after = await transactStream(
    buildBindingRequest(),
    { address: '127.0.0.1', port, tls: { ca: certPem, servername: 'localhost' } },
    2000,
  );
  t.assert.equal(mappedOf(after).mapped?.address, '127.0.0.1');
});

test(
  '10,000 random datagrams crash nothing and get no answer; the next real request is answered',
  { timeout: 60_000 },
  async (t) => {
    const { server, metrics } = await startStunServer(t, {
      listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }],
    });
    const port = portOf(server, 'udp://');
    const socket: UdpSocket = createSocket('udp4');
    t.after(() => socket.close());
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    let answers = 0;
    socket.on('message', () => answers++);
    const datagrams = fc.sample(fc.uint8Array({ minLength: 0, maxLength: 600 }), {
      numRuns: 10_000,
      seed: 5780,
    });
    const droppedSoFar = async (): Promise<number> =>
      (await metrics.stunDropped.get()).values.reduce((sum, v) => sum + v.value, 0);
    // Send in batches and let the server drain each one, so the kernel's socket buffer never overflows.
    for (let i = 0; i < datagrams.length; i += 100) {
      const batch = datagrams.slice(i, i + 100);
      await Promise.all(
        batch.map(
          (d) =>
            new Promise<void>((resolve) => {
              socket.send(d, port, '127.0.0.1', () => {
                resolve();
              });
            }),
        ),
      );
      const until = Date.now() + 2000;
      while ((await droppedSoFar()) < i + batch.length && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    }
    const client = await udpClient(t);
    const response = await client.transact(
      buildBindingRequest(),
      { address: '127.0.0.1', port },
      fast,
    );
    t.assert.equal(mappedOf(response).mapped?.address, '127.0.0.1');
    await new Promise((resolve) => setTimeout(resolve, 100));
    t.assert.equal(answers, 0);
    t.assert.equal(await droppedSoFar(), datagrams.length);
  },
);

test('with an alternate address, a CHANGE-REQUEST is answered from the changed address and port', async (t) => {
  const [primaryPort, alternatePort] = [await freePort(), await freePort()];
  await startStunServer(t, {
    listen: [{ transport: 'udp', host: '127.0.0.1', port: primaryPort }],
    alternate: { address: '127.0.0.2', port: alternatePort },
  });
  const client = await udpClient(t);
  const cases = [
    [false, false, '127.0.0.1', primaryPort],
    [true, false, '127.0.0.2', primaryPort],
    [false, true, '127.0.0.1', alternatePort],
    [true, true, '127.0.0.2', alternatePort],
  ] as const;
  for (const [changeIp, changePort, address, port] of cases) {
    const response = await client.transact(
      buildBindingRequest({ changeIp, changePort }),
      { address: '127.0.0.1', port: primaryPort },
      fast,
    );
    t.assert.deepEqual([response.from.address, response.from.port], [address, port]);
    const result = mappedOf(response);
    t.assert.deepEqual(result.responseOrigin, { family: 4, address, port });
    t.assert.deepEqual(result.otherAddress, {
      family: 4,
      address: '127.0.0.2',
      port: alternatePort,
    });
  }
});

test('without an alternate address a CHANGE-REQUEST gets 420 from the primary address', async (t) => {
  const { server } = await startStunServer(t, {
    listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }],
  });
  const client = await udpClient(t);
  const response = await client.transact(
    buildBindingRequest({ changeIp: true }),
    { address: '127.0.0.1', port: portOf(server, 'udp://') },
    fast,
  );
  t.assert.equal(mappedOf(response).error?.code, 420);
});

test('RESPONSE-PORT sends the answer to the other port of the same client address', async (t) => {
  const [primaryPort, alternatePort] = [await freePort(), await freePort()];
  await startStunServer(t, {
    listen: [{ transport: 'udp', host: '127.0.0.1', port: primaryPort }],
    alternate: { address: '127.0.0.2', port: alternatePort },
  });
  const receiver = await udpClient(t);
  const sender = createSocket('udp4');
  t.after(() => sender.close());
  const request = buildBindingRequest({ responsePort: receiver.socket.address().port });
  const arrived = once(receiver.socket, 'message', { signal: AbortSignal.timeout(2000) });
  sender.send(request.bytes, primaryPort, '127.0.0.1');
  const [datagram] = (await arrived) as [Buffer];
  const decoded = decodeStunMessage(datagram);
  t.assert.equal(
    decoded.kind === 'ok' && Buffer.from(decoded.value.transactionId).equals(request.transactionId),
    true,
  );
});

test('stop closes open TCP connections and frees the ports', async (t) => {
  const { server } = await startStunServer(t, {
    listen: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }],
  });
  const port = portOf(server, 'tcp://');
  const socket = connect(port, '127.0.0.1');
  t.after(() => socket.destroy());
  await once(socket, 'connect');
  const closed = once(socket, 'close', { signal: AbortSignal.timeout(2000) });
  await server.stop();
  await closed;
  const again = connect(port, '127.0.0.1');
  const [err] = (await once(again, 'error')) as [NodeJS.ErrnoException];
  t.assert.equal(err.code, 'ECONNREFUSED');
});
