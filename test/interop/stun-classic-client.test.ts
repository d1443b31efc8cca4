// The classic RFC 3489 client `stun` (Debian stun-client 0.97) against pbxgate: CHANGE-REQUEST is
// answered from the right socket with an alternate address, and refused (420) without one.
// Its verdict alone proves nothing (coturn-recipes.md §5 "Trap"): the SourceAddress lines do.

import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { startPbxgate, stunConfig } from './support/pbxgate.ts';
import { findFreePorts, freePort, freePortPair } from './support/ports.ts';
import { type ToolResult, runTool } from './support/process.ts';
import { type ClassicStunOutput, hostPort, parseClassicStunOutput } from './support/tool-output.ts';
import { requireTool } from './support/tools.ts';

const TIMEOUT = { timeout: 60_000 };
const BINDING_SUCCESS = 257;
const BINDING_ERROR = 273;

/** `stun 127.0.0.1:PORT -v -p L`: it sends from L and L+1 (bound on every address). */
async function runClassicStun(
  port: number,
): Promise<{ run: ToolResult; output: ClassicStunOutput; localPort: number }> {
  const localPort = await findFreePorts({ hosts: ['0.0.0.0'], protos: ['udp'], count: 2 });
  const run = await runTool('stun', [`127.0.0.1:${port}`, '-v', '-p', String(localPort)], {
    timeoutMs: 20_000,
  });
  return { run, output: parseClassicStunOutput(run.stdout + run.stderr), localPort };
}

function assertFinished(t: TestContext, run: ToolResult): void {
  t.assert.equal(run.timedOut, false, `stun hung:\n${run.stdout}${run.stderr}`);
  // stun-client's exit code is the NAT class it found, not success/failure.
  t.assert.equal(run.signal, null);
}

test(
  'the classic stun client sees answers from the changed IP and the changed port of a pbxgate with an alternate address',
  TIMEOUT,
  async (t) => {
    if (!requireTool(t, 'stun')) return;
    const { port, altPort } = await freePortPair();
    await startPbxgate(
      t,
      stunConfig({
        listen: [`udp://127.0.0.1:${port}`],
        alternate: { address: '127.0.0.2', port: altPort },
      }),
    );
    const { run, output, localPort } = await runClassicStun(port);
    assertFinished(t, run);
    const log = run.stdout + run.stderr;
    const answers = output.messages.filter((m) => m.type === BINDING_SUCCESS);
    t.assert.deepEqual(
      output.messages.filter((m) => m.type === BINDING_ERROR),
      [],
      log,
    );
    // Test I (no change) from the primary socket; change IP -> alternate address, same port;
    // change port -> same address, alternate port; test I(2) goes to the alternate address itself.
    const sources = [...new Set(answers.map((m) => m.source))].sort();
    t.assert.deepEqual(
      sources,
      [hostPort('127.0.0.1', port), hostPort('127.0.0.1', altPort), hostPort('127.0.0.2', port)],
      log,
    );
    const testI = answers.find((m) => m.source === hostPort('127.0.0.1', port));
    t.assert.equal(testI?.changed, hostPort('127.0.0.2', altPort), log);
    t.assert.equal(testI?.mapped, hostPort('127.0.0.1', localPort), log);
    // The change requests were sent from the second socket (L+1).
    for (const answer of answers.filter((m) => m.source !== hostPort('127.0.0.1', port))) {
      t.assert.equal(answer.mapped?.startsWith('127.0.0.1:'), true, log);
    }
    t.assert.deepEqual(
      [output.tests['test I'], output.tests['test II'], output.tests['test III']],
      [1, 1, 1],
      log,
    );
  },
);

test(
  'a pbxgate without an alternate address refuses the classic change requests with 420 and answers only from its own address',
  TIMEOUT,
  async (t) => {
    if (!requireTool(t, 'stun')) return;
    const port = await freePort();
    await startPbxgate(t, stunConfig({ listen: [`udp://127.0.0.1:${port}`] }));
    const { run, output, localPort } = await runClassicStun(port);
    assertFinished(t, run);
    const log = run.stdout + run.stderr;
    const errors = output.messages.filter((m) => m.type === BINDING_ERROR);
    const answers = output.messages.filter((m) => m.type === BINDING_SUCCESS);
    // Both change requests (change IP + port, change port) are refused.
    t.assert.deepEqual(
      errors.map((m) => m.errorCode),
      [420, 420],
      log,
    );
    // We never answer a change request from the primary address, and name no CHANGED-ADDRESS.
    t.assert.deepEqual(
      answers.map((m) => [m.source, m.mapped, m.changed]),
      [[hostPort('127.0.0.1', port), hostPort('127.0.0.1', localPort), undefined]],
      log,
    );
    t.assert.deepEqual(
      output.messages.flatMap((m) => (m.source === undefined ? [] : [m.source])),
      [hostPort('127.0.0.1', port)],
      log,
    );
  },
);
