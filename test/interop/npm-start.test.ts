// `npm start` as a user runs it: prestart builds with tsc, then the embedded loopback config
// (udp+tcp 127.0.0.1:3478, tls 127.0.0.1:5349, udp [::1]:3478) serves STUN until SIGTERM.

import { readFile, readdir } from 'node:fs/promises';
import { basename } from 'node:path';
import { test } from 'node:test';
import { readBindingResult } from '../../src/stun/binding-result.ts';
import {
  type RetransmitOptions,
  StunUdpClient,
  buildBindingRequest,
} from '../../src/stun/client.ts';
import { STARTED, parseLogLines, repoRoot } from './support/pbxgate.ts';
import { type Proto, canBind } from './support/ports.ts';
import { startProcess } from './support/process.ts';
import { requireTool } from './support/tools.ts';

const FAST: RetransmitOptions = { rtoMs: 100, maxSends: 5, finalWaitFactor: 16 };
const DEFAULT_SOCKETS: readonly { proto: Proto; host: string; port: number }[] = [
  { proto: 'udp', host: '127.0.0.1', port: 3478 },
  { proto: 'tcp', host: '127.0.0.1', port: 3478 },
  { proto: 'tcp', host: '127.0.0.1', port: 5349 },
  { proto: 'udp', host: '::1', port: 3478 },
];

interface ProcessInfo {
  readonly pid: number;
  readonly argv: readonly string[];
}

/** Every process below `root` in the process tree, from /proc. */
async function descendants(root: number): Promise<ProcessInfo[]> {
  const parents = new Map<number, number>();
  const argvs = new Map<number, string[]>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may contain spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), ppid);
      const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8');
      argvs.set(
        Number(entry),
        cmdline.split('\0').filter((arg) => arg !== ''),
      );
    } catch {
      // exited meanwhile
    }
  }
  const found: ProcessInfo[] = [];
  const queue = [root];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const [pid, ppid] of parents) {
      if (ppid !== next) continue;
      found.push({ pid, argv: argvs.get(pid) ?? [] });
      queue.push(pid);
    }
  }
  return found;
}

test(
  'npm start builds, serves Binding on 127.0.0.1:3478 and stops cleanly on SIGTERM',
  { timeout: 180_000 },
  async (t) => {
    if (!requireTool(t, 'npm')) return;
    for (const socket of DEFAULT_SOCKETS) {
      if (!(await canBind(socket.proto, socket.host, socket.port))) {
        t.assert.fail(
          `${socket.proto} ${socket.host} port ${socket.port} is taken (another STUN server or pbxgate running?); ` +
            'npm start uses the embedded config, which needs it',
        );
      }
    }
    const npm = await startProcess(t, 'npm', ['start'], {
      cwd: repoRoot,
      readyWhen: (out) => out.includes(STARTED),
      readyTimeoutMs: 150_000,
    });

    const client = new StunUdpClient(4);
    t.after(() => {
      client.close();
    });
    const local = await client.bind('127.0.0.1', 0);
    const response = await client.transact(
      buildBindingRequest(),
      { address: '127.0.0.1', port: 3478 },
      FAST,
    );
    const result = readBindingResult(response.message);
    t.assert.equal(typeof result === 'object' && result.error === undefined, true);
    t.assert.deepEqual(typeof result === 'object' ? result.mapped : result, local);

    // npm hands SIGTERM to its `sh -c` child only; sh dies and the gateway would be orphaned
    // (seen with npm 11 / dash). So the signal goes to the gateway process itself.
    const tree = await descendants(npm.pid);
    const gateways = tree.filter(
      (p) => basename(p.argv[0] ?? '') === 'node' && p.argv.includes('dist/main.js'),
    );
    t.assert.equal(gateways.length, 1, JSON.stringify(tree));
    const gateway = gateways[0];
    if (!gateway) return;
    process.kill(gateway.pid, 'SIGTERM');
    const status = await npm.exited;
    t.assert.deepEqual(status, { code: 0, signal: null }, npm.output());
    const messages = parseLogLines(npm.stdout()).map((line) => line['msg']);
    t.assert.deepEqual(messages.slice(-2), ['stopping', 'stopped'], npm.stdout());
    t.assert.deepEqual(await descendants(npm.pid), []);
  },
);
