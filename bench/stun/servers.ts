// Starting the servers under test as child processes on a free loopback port, and stopping them.

import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { spawnLogged, stopChild } from '../support/children.ts';
import { StunUdpClient, buildBindingRequest } from '../../src/stun/client.ts';
import { type CpuTimes, processCpuTimes } from './proc-cpu.ts';
import type { ServerName } from './settings.ts';

export interface ServerUnderTest {
  readonly name: ServerName;
  readonly pid: number;
  readonly port: number;
  /** utime and stime of the server process so far. */
  cpuTimes(): CpuTimes;
  stop(): Promise<void>;
}

export const projectRoot = new URL('../../', import.meta.url).pathname;
export const pbxgateEntry = join(projectRoot, 'dist/main.js');

const READY_TIMEOUT_MS = 10_000;

async function isFree(port: number): Promise<boolean> {
  const udp = createSocket('udp4');
  const tcp = createServer();
  const udpFree = await new Promise<boolean>((resolve) => {
    udp.once('error', () => {
      resolve(false);
    });
    udp.bind({ address: '127.0.0.1', port, exclusive: true }, () => {
      resolve(true);
    });
  });
  const tcpFree = await new Promise<boolean>((resolve) => {
    tcp.once('error', () => {
      resolve(false);
    });
    tcp.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      resolve(true);
    });
  });
  try {
    udp.close();
  } catch {
    // a socket whose bind failed may already be closed
  }
  if (tcpFree) await new Promise((resolve) => tcp.close(resolve));
  return udpFree && tcpFree;
}

/** A port free for UDP and TCP on 127.0.0.1, with the next one free too (coturn's alternate port). */
export async function freeLoopbackPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const probe = createSocket('udp4');
    await new Promise<void>((resolve) => probe.bind({ address: '127.0.0.1', port: 0 }, resolve));
    const { port } = probe.address();
    probe.close();
    if (port < 65535 && (await isFree(port)) && (await isFree(port + 1))) return port;
  }
  throw new Error('no free loopback port pair found');
}

function tail(file: string): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
}

/** Polls with one Binding request at a time until the server answers. */
export async function waitUntilAnswering(
  child: ChildProcess,
  port: number,
  logFile: string,
): Promise<void> {
  const client = new StunUdpClient();
  await client.bind('127.0.0.1');
  const deadline = performance.now() + READY_TIMEOUT_MS;
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`server exited during start-up; its output:\n${tail(logFile)}`);
      }
      if (performance.now() > deadline) {
        throw new Error(
          `no Binding answer after ${READY_TIMEOUT_MS} ms; output:\n${tail(logFile)}`,
        );
      }
      const once = { rtoMs: 200, maxSends: 1, finalWaitFactor: 1 };
      const answered = await client
        .transact(buildBindingRequest(), { address: '127.0.0.1', port }, once)
        .then(() => true)
        .catch(() => false);
      if (answered) return;
    }
  } finally {
    client.close();
  }
}

async function launch(
  name: ServerName,
  command: string,
  args: readonly string[],
  port: number,
  dir: string,
): Promise<ServerUnderTest> {
  const logFile = join(dir, `${name}.out`);
  const { child, pid: spawned } = await spawnLogged(command, args, { cwd: projectRoot, logFile });
  try {
    await waitUntilAnswering(child, port, logFile);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return {
    name,
    pid: spawned,
    port,
    cpuTimes: () => processCpuTimes(spawned),
    stop: () => stopChild(child),
  };
}

export async function startPbxgate(
  dir: string,
  entry: string,
  cpuProfDir: string | undefined,
): Promise<ServerUnderTest> {
  const port = await freeLoopbackPort();
  const config = join(dir, 'pbxgate.yaml');
  writeFileSync(
    config,
    [
      'stateDir: state',
      'log: { level: warn }',
      'stun:',
      `  listen: [udp://127.0.0.1:${port}]`,
      '',
    ].join('\n'),
  );
  const profile = cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`];
  const args = [...profile, entry, 'start', '--config', config];
  return launch('pbxgate', process.execPath, args, port, dir);
}

/**
 * coturn with its compiled-in defaults (-n: /etc/turnserver.conf is not read), plus only what a
 * STUN-only loopback server needs. Defaults kept: one relay thread per CPU, SOFTWARE and
 * RESPONSE-ORIGIN and MAPPED-ADDRESS in Binding answers, FINGERPRINT when the request has one.
 */
export function coturnArgs(port: number | string, dir: string): string[] {
  return [
    '-n',
    '--listening-ip=127.0.0.1',
    `--listening-port=${port}`,
    '--no-auth',
    ...coturnPlainFiles(dir),
  ];
}

/** No CLI, no TLS/DTLS, and every file coturn writes (pid, log, user db) in the run's `dir`. */
export function coturnPlainFiles(dir: string): string[] {
  return [
    '--no-cli',
    '--no-tls',
    '--no-dtls',
    `--pidfile=${join(dir, 'turnserver.pid')}`,
    `--log-file=${join(dir, 'turnserver.log')}`,
    '--simple-log',
    `--userdb=${join(dir, 'turndb')}`,
  ];
}

export async function startCoturn(dir: string): Promise<ServerUnderTest> {
  const port = await freeLoopbackPort();
  return launch('coturn', 'turnserver', coturnArgs(port, dir), port, dir);
}
