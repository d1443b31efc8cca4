// Our STUN client side against real servers: StunUdpClient and the `pbxgate stun` CLI against
// coturn (the reference) and against pbxgate itself, over UDP, TCP and TLS.

import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { readBindingResult } from '../../src/stun/binding-result.ts';
import {
  type RetransmitOptions,
  StunUdpClient,
  buildBindingRequest,
} from '../../src/stun/client.ts';
import { startCoturn } from './support/coturn.ts';
import { runPbxgateCli, startPbxgate, stunConfig } from './support/pbxgate.ts';
import { ephemeralPortRange, freePort, freePortPair } from './support/ports.ts';
import { requireTool } from './support/tools.ts';

const TIMEOUT = { timeout: 60_000 };
const FAST: RetransmitOptions = { rtoMs: 100, maxSends: 5, finalWaitFactor: 16 };

interface Server {
  readonly name: string;
  /** Starts the server on 127.0.0.1; resolves with its UDP+TCP port (and TLS port if any). */
  start(t: TestContext): Promise<{ port: number }>;
  readonly tool: string | undefined;
}

const coturn: Server = {
  name: 'coturn',
  tool: 'turnserver',
  async start(t) {
    const ports = await freePortPair();
    await startCoturn(t, { ports });
    return { port: ports.port };
  },
};

const pbxgate: Server = {
  name: 'pbxgate',
  tool: undefined,
  async start(t) {
    const port = await freePort();
    await startPbxgate(
      t,
      stunConfig({ listen: [`udp://127.0.0.1:${port}`, `tcp://127.0.0.1:${port}`] }),
    );
    return { port };
  },
};

interface CliJson {
  readonly mapped: { readonly address: string; readonly port: number };
  readonly from: { readonly address: string; readonly port: number };
  readonly transport: string;
}

function parseCliJson(stdout: string): CliJson | undefined {
  try {
    const value: unknown = JSON.parse(stdout.trim());
    return typeof value === 'object' && value !== null ? (value as CliJson) : undefined;
  } catch {
    return undefined;
  }
}

async function assertEphemeral(
  t: TestContext,
  port: number | undefined,
  what: string,
): Promise<void> {
  const { low, high } = await ephemeralPortRange();
  t.assert.equal(
    port !== undefined && port >= low && port <= high,
    true,
    `${what}: port ${port ?? 'none'}`,
  );
}

for (const server of [coturn, pbxgate]) {
  test(
    `StunUdpClient learns its own address as the mapped address from ${server.name}`,
    TIMEOUT,
    async (t) => {
      if (server.tool !== undefined && !requireTool(t, server.tool)) return;
      const { port } = await server.start(t);
      const client = new StunUdpClient(4);
      t.after(() => {
        client.close();
      });
      const local = await client.bind('127.0.0.1', 0);
      const response = await client.transact(
        buildBindingRequest(),
        { address: '127.0.0.1', port },
        FAST,
      );
      t.assert.deepEqual(response.from, { family: 4, address: '127.0.0.1', port });
      const result = readBindingResult(response.message);
      if (typeof result === 'string') {
        t.assert.fail(`not a Binding answer: ${result}`);
        return;
      }
      t.assert.equal(result.error, undefined);
      t.assert.deepEqual(result.mapped, local);
    },
  );

  test(
    `the stun CLI prints its mapped address from ${server.name} over udp and tcp`,
    TIMEOUT,
    async (t) => {
      if (server.tool !== undefined && !requireTool(t, server.tool)) return;
      const { port } = await server.start(t);
      const runs = await Promise.all(
        (['udp', 'tcp'] as const).map(async (transport) => ({
          transport,
          run: await runPbxgateCli([
            'stun',
            `127.0.0.1:${port}`,
            '--transport',
            transport,
            '--timeout',
            '5s',
            '--json',
          ]),
        })),
      );
      for (const { transport, run } of runs) {
        t.assert.equal(run.code, 0, run.stdout + run.stderr);
        const answer = parseCliJson(run.stdout);
        t.assert.equal(answer?.transport, transport, run.stdout);
        t.assert.deepEqual(answer?.from, { family: 4, address: '127.0.0.1', port });
        t.assert.equal(answer?.mapped.address, '127.0.0.1', run.stdout);
        await assertEphemeral(t, answer?.mapped.port, run.stdout);
      }
    },
  );
}

test(
  'the TLS listener of pbxgate answers the stun CLI with --transport tls --insecure, and only then',
  TIMEOUT,
  async (t) => {
    const port = await freePort();
    const tlsPort = await freePort();
    // No tls section: pbxgate makes a self-signed certificate in its stateDir (the temp dir).
    await startPbxgate(
      t,
      stunConfig({ listen: [`udp://127.0.0.1:${port}`, `tls://127.0.0.1:${tlsPort}`] }),
    );
    const cli = (...flags: string[]) =>
      runPbxgateCli([
        'stun',
        `127.0.0.1:${tlsPort}`,
        '--transport',
        'tls',
        '--timeout',
        '5s',
        ...flags,
      ]);
    const [run, verified] = await Promise.all([cli('--insecure'), cli()]);
    t.assert.equal(run.code, 0, run.stdout + run.stderr);
    const mapped = /^mapped address: 127\.0\.0\.1:(\d+)$/m.exec(run.stdout);
    t.assert.notEqual(mapped, null, run.stdout);
    await assertEphemeral(t, Number(mapped?.[1]), run.stdout);
    t.assert.match(
      run.stdout,
      new RegExp(`^answered by: tls://127\\.0\\.0\\.1:${tlsPort} in `, 'm'),
    );
    // Without --insecure the self-signed certificate is refused: no mapped address.
    t.assert.equal(verified.code, 1, verified.stdout + verified.stderr);
    t.assert.equal(verified.stdout, '');
  },
);
