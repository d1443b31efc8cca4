// STUN/TURN over TCP: an idle connection is closed at the stream idle timeout, unless it carries a
// TURN allocation (RFC 8656 §3.1: the allocation lives as long as its connection) — then it stays
// open until the allocation is gone.
import { once } from 'node:events';
import { createServer } from 'node:net';
import { type TestContext, test } from 'node:test';
import { parseConfigText } from '../../src/config/load.ts';
import { createMetrics } from '../../src/observe/metrics.ts';
import { createStunObserver } from '../../src/stun/observer.ts';
import { serveStunStream } from '../../src/stun/stream.ts';
import { createTurnPart } from '../../src/turn/create.ts';
import { quietLog } from '../support/stun-server.ts';
import { lifetimeAttr, turnClient } from './support/turn-client.ts';
import { ALICE } from './support/turn-gateway.ts';

const IDLE_MS = 300;

async function streamServer(t: TestContext): Promise<number> {
  const config = parseConfigText(
    [
      'stun: { listen: [tcp://127.0.0.1:3478] }',
      'turn:',
      '  realm: test.realm',
      `  accounts: [{ user: ${ALICE.username}, password: ${ALICE.password} }]`,
      '  relay: { address: 127.0.0.1, ports: 20000-32000 }',
      '',
    ].join('\n'),
    'idle.yaml',
  );
  if (config.turn === undefined) throw new Error('no turn section');
  const metrics = createMetrics({ defaultMetrics: false });
  const deps = { log: quietLog, metrics, suspicious: () => undefined };
  const turn = createTurnPart(config.turn, {
    ...deps,
    stunHosts: ['127.0.0.1'],
    software: undefined,
  });
  await turn.start();
  const observer = createStunObserver('tcp', deps);
  const server = createServer((socket) => {
    serveStunStream(socket, {
      transport: 'tcp',
      software: undefined,
      observer,
      maxMessageBytes: 70_000,
      idleTimeoutMs: IDLE_MS,
      turn,
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(async () => {
    server.close();
    await turn.stop();
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

test('a TCP connection with an allocation outlives the idle timeout; one without does not', async (t) => {
  const port = await streamServer(t);
  const holder = await turnClient(t, 'tcp', port, ALICE);
  t.assert.equal((await holder.allocate([lifetimeAttr(600)])).code, 'ok');
  let holderEnded = false;
  void holder.connection.ended.then(() => (holderEnded = true));
  const idler = await turnClient(t, 'tcp', port, ALICE);
  await idler.connection.ended; // closed by the server at the idle timeout
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS * 4));
  t.assert.equal(holderEnded, false, 'still open after 4 more idle periods');
  t.assert.equal((await holder.refresh(0)).code, 'ok', 'and its allocation still answers');
  await holder.connection.ended; // no allocation left: closed at the next timeout
});
