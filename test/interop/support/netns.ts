// Network namespaces for interop tests: made by the test, named after its pid, removed in t.after
// (processes first, then the namespaces, then their /etc/netns files) whether the test passed or not.
// Addresses used inside exist only there; nothing is routed to the host's own networks.

import { execFile } from 'node:child_process';
import { mkdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import {
  type RunningProcess,
  type StartOptions,
  type ToolResult,
  runTool,
  startProcess,
} from './process.ts';
import { findOnPath } from './tools.ts';

const run = promisify(execFile);

/** Programs the namespace tests need, and the Debian package of each. */
export const NETNS_PROGRAMS: Readonly<Record<string, string>> = {
  ip: 'iproute2',
  nft: 'nftables',
  ss: 'iproute2',
  turnserver: 'coturn',
};

/**
 * True when every program is on PATH. Otherwise: with CI set, throws (the test fails); without,
 * marks the test skipped with the package to install, and returns false.
 */
export function requirePrograms(t: TestContext, names: readonly string[]): boolean {
  const missing = names.filter((name) => findOnPath(name) === undefined);
  if (missing.length === 0) return true;
  const packages = [...new Set(missing.map((name) => NETNS_PROGRAMS[name] ?? name))];
  const message = `${missing.join(', ')} not found on PATH (Debian: apt-get install ${packages.join(' ')})`;
  if (process.env['CI'] !== undefined && process.env['CI'] !== '') {
    throw new Error(`${message}; CI must have it`);
  }
  t.skip(message);
  return false;
}

/** Undefined when this process can create a network namespace; else why not (for the skip). */
export async function whyNoNamespaces(): Promise<string | undefined> {
  const probe = `pbxprobe${process.pid}`;
  try {
    await run('ip', ['netns', 'add', probe]);
  } catch (err) {
    const why = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
    return `this machine cannot create network namespaces (ip netns add needs root or CAP_SYS_ADMIN): ${why}`;
  }
  await run('ip', ['netns', 'del', probe]);
  return undefined;
}

export interface Lab {
  /** Unique per test run: every namespace name starts with it. */
  readonly prefix: string;
  /** Creates namespace `<prefix>-<short>` with its loopback up; returns its full name. */
  addNamespace(short: string): Promise<string>;
  /** `ip ARGS`, throwing with ip's own message on failure. */
  ip(...args: readonly string[]): Promise<void>;
  /** A command to its end inside `ns` (never throws for a non-zero exit). */
  exec(
    ns: string,
    command: string,
    args: readonly string[],
    options?: { readonly timeoutMs?: number; readonly cwd?: string },
  ): Promise<ToolResult>;
  /** Like exec, but throws unless the command exits 0. */
  mustExec(ns: string, command: string, args: readonly string[], input?: string): Promise<string>;
  /** A long-running process inside `ns`, stopped before the namespaces are removed. */
  start(
    t: TestContext,
    ns: string,
    command: string,
    args: readonly string[],
    options?: StartOptions,
  ): Promise<RunningProcess>;
  /** /etc/netns/<ns>/hosts: what `ip netns exec` shows as /etc/hosts inside `ns`. */
  writeHosts(ns: string, lines: readonly string[]): Promise<void>;
}

export function createLab(t: TestContext): Lab {
  const prefix = `pbxnat${process.pid}`;
  const namespaces: string[] = [];
  const etcDirs: string[] = [];
  let madeEtcNetns = false;
  const processes: RunningProcess[] = [];
  // Registered before anything is made, so a failure half way still cleans up all of it.
  t.after(async () => {
    await Promise.all(processes.map((proc) => proc.stop()));
    for (const ns of namespaces.reverse()) await removeNamespace(ns);
    for (const dir of etcDirs) await rm(dir, { recursive: true, force: true });
    // Only when empty: another run may have its own namespaces' files there.
    if (madeEtcNetns) await rmdir('/etc/netns').catch(() => undefined);
  });
  const ip = async (...args: readonly string[]): Promise<void> => {
    try {
      await run('ip', [...args]);
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? '';
      throw new Error(`ip ${args.join(' ')}: ${stderr.trim() || String(err)}`, { cause: err });
    }
  };
  const exec: Lab['exec'] = (ns, command, args, options = {}) =>
    runTool('ip', ['netns', 'exec', ns, command, ...args], {
      timeoutMs: options.timeoutMs ?? 60_000,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
  return {
    prefix,
    async addNamespace(short) {
      const ns = `${prefix}-${short}`;
      await ip('netns', 'add', ns);
      namespaces.push(ns);
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
      return ns;
    },
    ip,
    exec,
    async mustExec(ns, command, args, input) {
      if (input !== undefined) return execWithInput(ns, command, args, input);
      const result = await exec(ns, command, args);
      if (result.code !== 0)
        throw new Error(
          `${command} ${args.join(' ')} in ${ns}: exit ${result.code ?? 'none'}: ${result.stderr}`,
        );
      return result.stdout;
    },
    async start(t, ns, command, args, options = {}) {
      const proc = await startProcess(t, 'ip', ['netns', 'exec', ns, command, ...args], options);
      processes.push(proc);
      return proc;
    },
    async writeHosts(ns, lines) {
      const dir = join('/etc/netns', ns);
      // mkdir answers the first directory it made: /etc/netns itself when it was not there yet.
      const made = await mkdir(dir, { recursive: true });
      etcDirs.push(dir);
      if (made !== undefined && made !== dir) madeEtcNetns = true;
      await writeFile(join(dir, 'hosts'), `${lines.join('\n')}\n`);
    },
  };
}

function execWithInput(
  ns: string,
  command: string,
  args: readonly string[],
  input: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('ip', ['netns', 'exec', ns, command, ...args], (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} ${args.join(' ')} in ${ns}: ${stderr || err.message}`));
      else resolve(stdout);
    });
    child.stdin?.end(input);
  });
}

/** Kills what still runs inside (by pid: only processes this test started live there), then deletes. */
async function removeNamespace(ns: string): Promise<void> {
  const { stdout } = await run('ip', ['netns', 'pids', ns]).catch(() => ({ stdout: '' }));
  for (const pid of stdout
    .split('\n')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 1)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      await run('ip', ['netns', 'del', ns]);
      return;
    } catch {
      await sleep(100);
    }
  }
  await run('ip', ['netns', 'del', ns]);
}

/** Local addresses of listening UDP sockets inside `ns`, as ss prints them (198.18.0.4:3478). */
export async function udpListenersIn(lab: Lab, ns: string): Promise<Set<string>> {
  const out = await lab.mustExec(ns, 'ss', ['-H', '-n', '-l', '-u']);
  return new Set(out.split('\n').flatMap((line) => line.trim().split(/\s+/)[3] ?? []));
}

/** Polls ss inside `ns` until every address:port listens for UDP. */
export async function waitForUdpIn(
  lab: Lab,
  ns: string,
  addresses: readonly string[],
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const listening = await udpListenersIn(lab, ns);
    const missing = addresses.filter((address) => !listening.has(address));
    if (missing.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`nothing listens on udp ${missing.join(', ')} in ${ns}`);
    await sleep(50);
  }
}
