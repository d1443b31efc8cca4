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

/** `command args` run on the CPUs `cpus` (taskset), or as is when `cpus` is undefined. */
export function pinned(
  cpus: string | undefined,
  command: string,
  args: readonly string[],
): [string, string[]] {
  return cpus === undefined ? [command, [...args]] : ['taskset', ['-c', cpus, command, ...args]];
}

export async function startTurnServer(
  name: TurnServerName,
  dir: string,
  pbxgateEntry: string,
  cpus: string | undefined,
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
  // taskset execs the server: the pid is the server's, for its CPU times.
  const { child, pid } = await spawnLogged(...pinned(cpus, command, args), { cwd: dir, logFile });
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
  cpus: string | undefined,
): Promise<{ readonly port: number; stop(): Promise<void> }> {
  const port = await freeLoopbackPort();
  const command = pinned(cpus, 'turnutils_peer', ['-L', '127.0.0.1', '-p', String(port)]);
  const { child } = await spawnLogged(...command, { cwd: dir, logFile: join(dir, 'peer.out') });
  return { port, stop: () => stopChild(child) };
}
