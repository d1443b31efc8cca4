// NAT detection inside the composed gateway: with `nat:` in the config, `pbxgate start` detects
// against the servers it names (here the gateway's own STUN server on loopback: no NAT) and shows
// the verdict in its metrics.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseConfigText } from '../../src/config/load.ts';
import { createGateway } from '../../src/gateway.ts';
import { findFreePorts } from '../interop/support/ports.ts';
import { quietLog } from '../support/stun-server.ts';

test('a gateway with a nat section detects at start and exports pbxgate_nat_type', async (t) => {
  const port = await findFreePorts({
    hosts: ['127.0.0.1', '127.0.0.2'],
    protos: ['udp'],
    count: 2,
  });
  const dir = await mkdtemp(join(tmpdir(), 'pbxgate-nat-'));
  const config = parseConfigText(
    [
      'stun:',
      `  listen: [udp://127.0.0.1:${port}]`,
      // RFC 5780: a second address (127.0.0.2 is loopback too) and a second port.
      `  alternate: { address: 127.0.0.2, port: ${port + 1} }`,
      'nat:',
      `  stunServers: "127.0.0.1:${port}"`,
      '',
    ].join('\n'),
    'nat.yaml',
  );
  const gateway = await createGateway(config, { log: quietLog, baseDir: dir });
  await gateway.start();
  t.after(async () => {
    await gateway.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const deadline = Date.now() + 10_000;
  let text = '';
  while (Date.now() < deadline) {
    text = await gateway.metrics.registry.metrics();
    if (/^pbxgate_nat_checks_total\{[^}]*\} 1$/m.test(text)) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // The gateway answers from both of its addresses: no NAT between it and itself.
  t.assert.match(text, /^pbxgate_nat_type\{[^}]*server="1"[^}]*classic="open-internet"[^}]*\} 1$/m);
});
