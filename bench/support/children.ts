// The processes a benchmark starts: spawned with their output in a log file, tracked, and stopped
// (SIGTERM, then SIGKILL after a grace period); none outlives the benchmark.

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const STOP_GRACE_MS = 5000;
const live = new Set<ChildProcess>();

// Last resort when the benchmark exits without its cleanup.
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Spawns `command` with stdout and stderr appended to `logFile`; resolves once it runs. */
export async function spawnLogged(
  command: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly logFile: string },
): Promise<{ readonly child: ChildProcess; readonly pid: number }> {
  const out = openSync(options.logFile, 'a');
  const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', out, out] });
  closeSync(out);
  live.add(child);
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () => {
      resolve(child.pid ?? -1);
    });
    child.once('error', reject);
  }).catch((err: unknown) => {
    live.delete(child);
    throw new Error(`cannot run ${command}: ${String(err)}`);
  });
  return { child, pid };
}

export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (!isRunning(child)) {
    live.delete(child);
    return;
  }
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  child.kill('SIGTERM');
  const outcome = await Promise.race([
    exited.then(() => 'exited' as const),
    sleep(STOP_GRACE_MS).then(() => 'late' as const),
  ]);
  if (outcome === 'late') {
    child.kill('SIGKILL');
    await exited;
  }
  live.delete(child);
}
