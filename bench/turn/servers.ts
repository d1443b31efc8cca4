// The TURN servers under test (coturn and pbxgate) as child processes on free loopback ports, with
// the same account, realm, relay range and loopback peering, started fresh for every measurement.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnLogged, stopChild } from '../support/children.ts';
import {
  type ContextSwitches,
  type CpuTimes,
  processContextSwitches,
  processCpuTimes,
} from '../stun/proc-cpu.ts';
import { coturnPlainFiles, freeLoopbackPort, waitUntilAnswering } from '../stun/servers.ts';

export const USER = 'alice';
export const PASSWORD = 'secret123';
export const REALM = 'pbx.bench';
const RELAY_MIN = 40_000;
const RELAY_MAX = 44_999;

export type TurnServerName = 'coturn' | 'pbxgate';

export interface TurnServerUnderTest {
  readonly name: TurnServerName;
  readonly port: number;
  cpuTimes(): CpuTimes;
  contextSwitches(): ContextSwitches;
  stop(): Promise<void>;
}

function coturnArgs(port: number, dir: string): string[] {
  return [
    '-n',
    '--listening-ip=127.0.0.1',
    '--relay-ip=127.0.0.1',
    `--listening-port=${port}`,
    `--min-port=${RELAY_MIN}`,
    `--max-port=${RELAY_MAX}`,
    '--lt-cred-mech',
    `--user=${USER}:${PASSWORD}`,
    `--realm=${REALM}`,
    '--allow-loopback-peers',
    '--cli-password=bench-cli-password',
    ...coturnPlainFiles(dir),
  ];
}

function pbxgateConfig(port: number): string {
  return [
    'stateDir: state',
    'log: { level: warn }',
    'stun:',
    `  listen: [udp://127.0.0.1:${port}, tcp://127.0.0.1:${port}]`,
    'turn:',
    `  realm: ${REALM}`,
    `  accounts: [{ user: ${USER}, password: ${PASSWORD} }]`,
    `  relay: { address: 127.0.0.1, ports: ${RELAY_MIN}-${RELAY_MAX} }`,
    '  allowedPeers: [127.0.0.1/32]',
    '  maxAllocationsPerUser: 10000',
    '  maxAllocations: 10000',
    '',
  ].join('\n');
}

/** How a process of the bench is started. */
export interface Launch {
  /** The CPUs it may run on (taskset), or undefined: wherever the scheduler puts it. */
  readonly cpus: string | undefined;
  /**
   * SCHED_BATCH (chrt --batch 0): its wakeups do not preempt the task running on the CPU, as a
   * client on another host would not preempt the server. For the load only.
   */
  readonly batch: boolean;
}

/** The command line that starts `command args` as `launch` says; each wrapper execs the next. */
export function launched(
  launch: Launch,
  command: string,
  args: readonly string[],
): [string, string[]] {
  const line = [
    ...(launch.cpus === undefined ? [] : ['taskset', '-c', launch.cpus]),
    ...(launch.batch ? ['chrt', '--batch', '0'] : []),
    command,
    ...args,
  ];
  return [line[0] ?? command, line.slice(1)];
}

export async function startTurnServer(
  name: TurnServerName,
  dir: string,
  pbxgateEntry: string,
  launch: Launch,
): Promise<TurnServerUnderTest> {
  const port = await freeLoopbackPort();
  const logFile = join(dir, `${name}.out`);
  let command: string;
  let args: string[];
  if (name === 'coturn') {
    command = 'turnserver';
    args = coturnArgs(port, dir);
  } else {
    const config = join(dir, 'pbxgate.yaml');
    writeFileSync(config, pbxgateConfig(port));
    command = process.execPath;
    args = [
      // Node flags for the server under test (a profile: --cpu-prof --cpu-prof-dir=DIR).
      ...(process.env['PBXGATE_NODE_ARGS'] ?? '').split(' ').filter(Boolean),
      pbxgateEntry,
      'start',
      '--config',
      config,
    ];
  }
  // taskset and chrt exec the server: the pid is the server's, for its CPU times.
  const { child, pid } = await spawnLogged(...launched(launch, command, args), {
    cwd: dir,
    logFile,
  });
  try {
    await waitUntilAnswering(child, port, logFile);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return {
    name,
    port,
    cpuTimes: () => processCpuTimes(pid),
    contextSwitches: () => processContextSwitches(pid),
    stop: () => stopChild(child),
  };
}

/** turnutils_peer on a free loopback port: it echoes every UDP datagram to its sender. */
export async function startEchoPeer(
  dir: string,
  launch: Launch,
): Promise<{ readonly port: number; stop(): Promise<void> }> {
  const port = await freeLoopbackPort();
  const command = launched(launch, 'turnutils_peer', ['-L', '127.0.0.1', '-p', String(port)]);
  const { child } = await spawnLogged(...command, { cwd: dir, logFile: join(dir, 'peer.out') });
  return { port, stop: () => stopChild(child) };
}
