// Child processes for interop tests: long-running servers (startProcess, stopped in t.after) and
// one-shot tools (runTool, killed on timeout). Output is captured for assertions and diagnostics.

import { type ChildProcess, spawn } from 'node:child_process';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ToolResult extends ExitStatus {
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** The environment a child gets: ours, without the test runner's own markers. */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env['NODE_TEST_CONTEXT'];
  return env;
}

function exitOf(child: ChildProcess): Promise<ExitStatus> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
    });
  });
}

export interface ToolOptions {
  readonly timeoutMs: number;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs a program to its end (SIGKILL at `timeoutMs`); never rejects for a non-zero exit. */
export async function runTool(
  command: string,
  args: readonly string[],
  options: ToolOptions,
): Promise<ToolResult> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  await spawned;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs);
  const exited = exitOf(child);
  // 'close' follows 'exit' once both pipes are drained.
  await new Promise((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  return { ...(await exited), stdout, stderr, timedOut };
}

export interface StartOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Called with all stdout+stderr so far after each chunk; absent = ready once spawned. */
  readonly readyWhen?: (outputSoFar: string) => boolean;
  readonly readyTimeoutMs?: number;
}

export interface RunningProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly command: string;
  stdout(): string;
  stderr(): string;
  /** stdout and stderr interleaved in arrival order. */
  output(): string;
  /** Settles when the process has exited (for any reason). */
  readonly exited: Promise<ExitStatus>;
  /**
   * SIGTERM to the process group, SIGKILL to what is left of it after 3 s; resolves with the
   * leader's exit status. Idempotent.
   */
  stop(): Promise<ExitStatus>;
}

const STOP_GRACE_MS = 3000;

/** Signals every process of the group led by `pid`; a group already gone is fine. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: nothing left
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The promise's value, or undefined after `ms` (the timer does not outlive the answer). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => {
      resolve(undefined);
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitForGroupExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pid) && Date.now() < deadline) await sleep(50);
}

function describe(proc: RunningProcess): string {
  return `${proc.command} (pid ${proc.pid})`;
}

/**
 * Starts a server process and waits until `readyWhen` accepts its output. Registers `stop()` with
 * `t.after`, so the process never outlives the test, whether it became ready or not.
 */
export async function startProcess(
  t: TestContext,
  command: string,
  args: readonly string[],
  options: StartOptions = {},
): Promise<RunningProcess> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so stop() reaches grandchildren too (npm -> sh -> node).
    detached: true,
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const pid = child.pid;
  // Never -1 or 0 here: stop() signals the group -pid.
  if (pid === undefined || pid <= 1) throw new Error(`${command}: spawned without a usable pid`);
  let stdout = '';
  let stderr = '';
  let output = '';
  const listeners = new Set<() => void>();
  const onChunk = (): void => {
    for (const listener of listeners) listener();
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    output += chunk;
    onChunk();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    output += chunk;
    onChunk();
  });
  const exited = exitOf(child);
  let stopping: Promise<ExitStatus> | undefined;
  const proc: RunningProcess = {
    child,
    pid,
    command: [command, ...args].join(' '),
    stdout: () => stdout,
    stderr: () => stderr,
    output: () => output,
    exited,
    stop() {
      stopping ??= (async () => {
        signalGroup(pid, 'SIGTERM');
        const status = await within(exited, STOP_GRACE_MS);
        // Whatever is left of the group after the grace time (the leader or an orphan) is killed.
        if (status === undefined || groupAlive(pid)) {
          await waitForGroupExit(pid, status === undefined ? 0 : STOP_GRACE_MS);
          signalGroup(pid, 'SIGKILL');
        }
        const final = await exited;
        child.stdout.destroy();
        child.stderr.destroy();
        return final;
      })();
      return stopping;
    },
  };
  t.after(() => proc.stop());
  const { readyWhen } = options;
  if (!readyWhen) return proc;
  const timeoutMs = options.readyTimeoutMs ?? 10_000;
  await new Promise<void>((resolve, reject) => {
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      listeners.delete(check);
      if (err) reject(err);
      else resolve();
    };
    const check = (): void => {
      if (readyWhen(output)) finish();
    };
    const timer = setTimeout(() => {
      finish(new Error(`${describe(proc)} not ready after ${timeoutMs} ms; output:\n${output}`));
    }, timeoutMs);
    listeners.add(check);
    void exited.then(({ code, signal }) => {
      // Output may still be in the pipes: give it one turn before judging.
      setImmediate(() => {
        if (readyWhen(output)) finish();
        else
          finish(
            new Error(
              `${describe(proc)} exited (code ${code ?? 'none'}, signal ${signal ?? 'none'}) before it was ready; output:\n${output}`,
            ),
          );
      });
    });
    check();
  });
  return proc;
}
