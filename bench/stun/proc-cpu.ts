// CPU time from /proc (Linux): one process's user+system time, and the whole machine's busy time.

import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** `getconf CLK_TCK`: the unit of the time fields in /proc/<pid>/stat and /proc/stat. */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    const text = execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim();
    const value = Number(text);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`getconf CLK_TCK said "${text}"`);
    ticksPerSecond = value;
  }
  return ticksPerSecond;
}

function ticksToMicros(ticks: number): number {
  return (ticks * 1_000_000) / clockTicksPerSecond();
}

export interface CpuTimes {
  readonly userMicros: number;
  readonly systemMicros: number;
}

/**
 * utime and stime of every thread of the process, in µs. proc(5): the command name (field 2) is in
 * parentheses and may hold spaces, so fields are counted from the last ')'; utime and stime are
 * fields 14 and 15.
 */
export function processCpuTimes(pid: number): CpuTimes {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field n is fields[n - 3].
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new Error(`cannot read utime/stime in /proc/${pid}/stat`);
  }
  return { userMicros: ticksToMicros(utime), systemMicros: ticksToMicros(stime) };
}
export interface ContextSwitches {
  /** The process gave up the CPU (it waited, for I/O or a lock). */
  readonly voluntary: number;
  /** The scheduler took the CPU away while the process could still run (preempted). */
  readonly involuntary: number;
}

/** The context switches of every live thread of the process (proc(5): /proc/<pid>/task/<tid>/status). */
export function processContextSwitches(pid: number): ContextSwitches {
  let voluntary = 0;
  let involuntary = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
    } catch {
      continue; // the thread ended between the listing and the read
    }
    voluntary += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    involuntary += Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  }
  return { voluntary, involuntary };
}

/** Busy time of all CPUs since boot, in µs: the first line of /proc/stat without idle and iowait. */
export function machineBusyMicros(): number {
  const first = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  // cpu user nice system idle iowait irq softirq steal (guest time is already inside user).
  const [, user, nice, system, , , irq, softirq, steal] = first.trim().split(/\s+/).map(Number);
  const busy = [user, nice, system, irq, softirq, steal].reduce<number>((a, b) => a + (b ?? 0), 0);
  return ticksToMicros(busy);
}
