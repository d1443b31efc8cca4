// coturn's own STUN clients (turnutils_stunclient, turnutils_natdiscovery) against pbxgate, and
// natdiscovery against coturn as the reference: shared/reference/coturn-recipes.md §4, §5, §9.

import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { startCoturn } from './support/coturn.ts';
import { startPbxgate, stunConfig } from './support/pbxgate.ts';
import { type PortPair, ephemeralPortRange, freePort, freePortPair } from './support/ports.ts';
import { runTool } from './support/process.ts';
import { hostPort, parseCoturnClientOutput, parseHostPort } from './support/tool-output.ts';
import { requireTool } from './support/tools.ts';

const TIMEOUT = { timeout: 60_000 };
const TOOL_TIMEOUT_MS = 15_000;
const EXPECTED_VERDICTS = ['Endpoint Independent Mapping', 'Endpoint Independent Filtering'];

/** pbxgate with udp://127.0.0.1:P and the RFC 5780 alternate 127.0.0.2:P+1. */
async function pbxgateWithAlternate(t: TestContext): Promise<PortPair> {
  const ports = await freePortPair();
  await startPbxgate(
    t,
    stunConfig({
      listen: [`udp://127.0.0.1:${ports.port}`],
      alternate: { address: '127.0.0.2', port: ports.altPort },
    }),
  );
  return ports;
}

async function natDiscoveryVerdicts(t: TestContext, port: number): Promise<readonly string[]> {
  const run = await runTool(
    'turnutils_natdiscovery',
    ['-m', '-f', '-p', String(port), '127.0.0.1'],
    { timeoutMs: TOOL_TIMEOUT_MS },
  );
  t.assert.equal(run.timedOut, false, `natdiscovery hung:\n${run.stdout}`);
  t.assert.equal(run.code, 0, run.stdout + run.stderr);
  return parseCoturnClientOutput(run.stdout).verdicts;
}

test(
  'turnutils_stunclient gets a 127.0.0.1 reflexive address from a one-address pbxgate',
  TIMEOUT,
  async (t) => {
    if (!requireTool(t, 'turnutils_stunclient')) return;
    const port = await freePort();
    await startPbxgate(t, stunConfig({ listen: [`udp://127.0.0.1:${port}`] }));
    const run = await runTool('turnutils_stunclient', ['-p', String(port), '127.0.0.1'], {
      timeoutMs: TOOL_TIMEOUT_MS,
    });
    t.assert.equal(run.code, 0, run.stdout + run.stderr);
    const output = parseCoturnClientOutput(run.stdout);
    t.assert.equal(output.reflexive.length > 0, true, `no reflexive address in:\n${run.stdout}`);
    const { low, high } = await ephemeralPortRange();
    for (const text of output.reflexive) {
      const address = parseHostPort(text);
      t.assert.equal(address?.host, '127.0.0.1', text);
      const reflexivePort = address?.port ?? 0;
      t.assert.equal(
        reflexivePort >= low && reflexivePort <= high,
        true,
        `${text}: not in ${low}-${high}`,
      );
    }
    // No OTHER-ADDRESS from a one-address server, so no RFC 5780 blocks.
    t.assert.deepEqual(output.responses, []);
  },
);

test(
  'turnutils_stunclient sees the three RFC 5780 responses of a pbxgate with an alternate address',
  TIMEOUT,
  async (t) => {
    if (!requireTool(t, 'turnutils_stunclient')) return;
    const { port, altPort } = await pbxgateWithAlternate(t);
    const run = await runTool('turnutils_stunclient', ['-p', String(port), '127.0.0.1'], {
      timeoutMs: TOOL_TIMEOUT_MS,
    });
    t.assert.equal(run.code, 0, run.stdout + run.stderr);
    const { responses } = parseCoturnClientOutput(run.stdout);
    const alternate = hostPort('127.0.0.2', altPort);
    t.assert.deepEqual(
      responses.map((r) => [r.index, r.responseOrigin, r.otherAddress]),
      [
        [1, hostPort('127.0.0.1', port), alternate],
        [2, alternate, alternate],
        [3, alternate, alternate],
      ],
      run.stdout,
    );
    for (const response of responses) {
      t.assert.equal(parseHostPort(response.reflexive ?? '')?.host, '127.0.0.1', run.stdout);
    }
    // Responses 1 and 2 answer the same client socket (the second asks for a change of IP and port).
    t.assert.equal(responses[0]?.reflexive, responses[1]?.reflexive);
  },
);

test(
  'turnutils_natdiscovery finds endpoint-independent mapping and filtering at a pbxgate with an alternate address',
  TIMEOUT,
  async (t) => {
    if (!requireTool(t, 'turnutils_natdiscovery')) return;
    const { port } = await pbxgateWithAlternate(t);
    t.assert.deepEqual(await natDiscoveryVerdicts(t, port), EXPECTED_VERDICTS);
  },
);

test(
  'turnutils_natdiscovery gives the same verdicts at coturn with two addresses',
  TIMEOUT,
  async (t) => {
    if (!requireTool(t, 'turnserver', 'turnutils_natdiscovery')) return;
    const ports = await freePortPair();
    await startCoturn(t, { ports, twoAddresses: true });
    t.assert.deepEqual(await natDiscoveryVerdicts(t, ports.port), EXPECTED_VERDICTS);
  },
);
