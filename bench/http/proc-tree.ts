// CPU time of a process and all its descendants (nginx master + workers, a Node cluster), from /proc.

import { readFileSync, readdirSync } from 'node:fs';
import { type CpuTimes, clockTicksPerSecond, processCpuTimes } from '../stun/proc-cpu.ts';

function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 4 (ppid) is the second field after the ')' that closes the command name.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined; // the process ended between readdir and read
  }
}

/** `root` and every live descendant. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const ppid = parentPid(pid);
    if (ppid === undefined) continue;
    const siblings = children.get(ppid) ?? [];
    siblings.push(pid);
    children.set(ppid, siblings);
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i] ?? -1) ?? []));
  return tree;
}

/**
 * utime+stime of the tree. Descendants are read by their own /proc entries (not cutime/cstime), so a
 * worker forked before the window is counted with its whole life: sample before and after and diff,
 * with the same workers alive in both samples (true for servers that do not recycle workers).
 */
export function treeCpuTimes(root: number): CpuTimes {
  let userMicros = 0;
  let systemMicros = 0;
  for (const pid of processTree(root)) {
    try {
      const t = processCpuTimes(pid);
      userMicros += t.userMicros;
      systemMicros += t.systemMicros;
    } catch {
      // ended meanwhile
    }
  }
  return { userMicros, systemMicros };
}

/**
 * cutime+cstime of this process, in µs: the CPU of children it has already waited for. Read before
 * and after a wrk run to get wrk's own CPU (every other child is still running then).
 */
export function reapedChildrenCpuMicros(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3, so cutime (16) and cstime (17) are fields[13] and fields[14].
  const ticks = Number(fields[16 - 3]) + Number(fields[17 - 3]);
  return (ticks * 1_000_000) / clockTicksPerSecond();
}
