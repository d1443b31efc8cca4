import { test } from 'node:test';
import type { ProxyProtocol } from '../../src/proxy/protocol.ts';
import {
  connectPlain,
  readToClose,
  readUntil,
  startBackend,
  startGateway,
  waitFor,
} from './support/harness.ts';
import { createTestProtocol } from './support/route-protocol.ts';

const service = (port: number): unknown => ({
  name: 'pbx.example',
  host: '127.0.0.1',
  ports: { sip: { tcp: port } },
});

/** The test protocol, with one of its functions replaced by one that throws on `BUG`. */
function buggy(part: 'sniff' | 'fromClient' | 'fromServer'): ProxyProtocol {
  const base = createTestProtocol();
  const boom = (chunk: Uint8Array): void => {
    if (Buffer.from(chunk).includes('BUG')) throw new Error(`a bug in ${part}`);
  };
  return {
    ...base,
    sniff: (bytes) => {
      if (part === 'sniff') boom(bytes);
      return base.sniff(bytes);
    },
    createWatcher: () => ({
      fromClient: (chunk) => {
        if (part === 'fromClient') boom(chunk);
        return 'pass';
      },
      fromServer: (chunk) => {
        if (part === 'fromServer') boom(chunk);
      },
    }),
  };
}

for (const part of ['sniff', 'fromClient', 'fromServer'] as const) {
  test(`a throwing ${part} costs one connection, counted, and the listener keeps serving`, async (t) => {
    const backend = await startBackend(t, 'pbx');
    const protocol = { ...buggy(part), sniffs: { count: 0 }, refusals: [] };
    const gateway = await startGateway(t, { services: [service(backend.port)], protocol });
    const victim = await connectPlain(gateway.port);
    victim.write(part === 'sniff' ? 'BUG' : 'ROUTE pbx.example\n');
    if (part !== 'sniff') {
      await readUntil(victim, (s) => s.endsWith('example\n'));
      victim.write('BUG\n'); // the backend echoes it: fromServer sees it too
    }
    await readToClose(victim);
    await waitFor(() => gateway.logLines.some((line) => line['level'] === 50));
    const internal = await gateway.metrics.registry.getSingleMetricAsString(
      'pbxgate_internal_errors_total',
    );
    t.assert.match(internal, /pbxgate_internal_errors_total\{part="proxy"\} 1/);
    const served = await connectPlain(gateway.port);
    t.after(() => served.destroy());
    served.write('ROUTE pbx.example\n');
    await readUntil(served, (s) => s.endsWith('example\n'));
  });
}
