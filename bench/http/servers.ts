// The backend and the targets under test as child processes on free loopback ports, and stopping
// them. Every config lives in the run's temp directory: no /etc/nginx, /etc/haproxy or systemd.

import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRunning, spawnLogged, stopChild } from '../support/children.ts';
import type { CpuTimes } from '../stun/proc-cpu.ts';
import { treeCpuTimes } from './proc-tree.ts';

/** The Host every request carries: the service name in pbxgate, the Host ACL in HAProxy. */
export const SERVICE_HOST = 'pbx.bench.test';
/** The path wrk asks for: inside the allow-listed /PBX0/ prefix. */
export const BENCH_PATH = '/PBX0/bench';
/** Answered by the backend with the X-Forwarded-For it received (functional check only). */
export const XFF_PATH = '/PBX0/xff';

export const projectRoot = new URL('../../', import.meta.url).pathname;
export const pbxgateEntry = join(projectRoot, 'dist/main.js');

const READY_TIMEOUT_MS = 10_000;

const PACKAGES: Readonly<Record<string, string>> = {
  nginx: 'nginx',
  haproxy: 'haproxy',
  wrk: 'wrk',
  openssl: 'openssl',
};

/** Absolute path of a tool, looked up in PATH and the sbin directories (nginx lives in /usr/sbin). */
export function requireTool(name: string): string {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  const pkg = PACKAGES[name] ?? name;
  throw new Error(
    `${name} not found: install the Debian package "${pkg}" (apt-get install -y ${pkg})`,
  );
}

export function toolVersion(name: string, args: readonly string[]): string {
  // nginx -v writes to stderr, wrk -v exits 1: read both streams, ignore the status.
  const out = spawnSync(requireTool(name), args, { encoding: 'utf8' });
  return `${out.stdout}${out.stderr}`.split('\n')[0]?.trim() || 'unknown version';
}

export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no free loopback port');
  return address.port;
}

function tail(file: string): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
}

export interface Reply {
  readonly status: number;
  readonly body: string;
}

/** One request on its own connection; status 0 when the connection failed or was dropped. */
export async function fetchOnce(
  port: number,
  https: boolean,
  path: string,
  host: string = SERVICE_HOST,
): Promise<Reply> {
  const request = https ? httpsRequest : httpRequest;
  return new Promise<Reply>((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        headers: { Host: host, Connection: 'close' },
        agent: false,
        rejectUnauthorized: false,
        servername: SERVICE_HOST,
        timeout: 2000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('latin1') });
        });
        res.on('error', () => {
          resolve({ status: 0, body: '' });
        });
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => {
      resolve({ status: 0, body: '' });
    });
    req.end();
  });
}

export interface Started {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  readonly https: boolean;
  /** utime and stime of the process and its children (workers) so far. */
  cpuTimes(): CpuTimes;
  stop(): Promise<void>;
}

/** Spawns, then polls GET BENCH_PATH until it answers 200 (or the child exits, or time runs out). */
export async function launch(
  name: string,
  command: string,
  args: readonly string[],
  port: number,
  https: boolean,
  dir: string,
): Promise<Started> {
  const logFile = join(dir, `${name}.out`);
  const { child, pid: pid } = await spawnLogged(command, args, { cwd: dir, logFile });
  const stop = (): Promise<void> => stopChild(child);
  try {
    const deadline = performance.now() + READY_TIMEOUT_MS;
    let last: Reply = { status: 0, body: '' };
    for (;;) {
      if (!isRunning(child)) {
        throw new Error(
          `${name} exited during start-up (status ${child.exitCode ?? child.signalCode}); its output:\n${tail(logFile)}`,
        );
      }
      last = await fetchOnce(port, https, BENCH_PATH);
      if (last.status === 200) break;
      if (performance.now() > deadline) {
        throw new Error(
          `${name}: no 200 on ${BENCH_PATH} after ${READY_TIMEOUT_MS} ms (last status ${last.status}); output:\n${tail(logFile)}`,
        );
      }
      await sleep(50);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { name, pid, port, https, cpuTimes: () => treeCpuTimes(pid), stop };
}

/** The backend: nginx, one worker, a fixed BODY_BYTES body on every path but XFF_PATH. */
export async function startBackend(dir: string, bodyBytes: number): Promise<Started> {
  const nginx = requireTool('nginx');
  const port = await freeLoopbackPort();
  const prefix = join(dir, 'nginx');
  mkdirSync(join(prefix, 'tmp'), { recursive: true });
  const conf = join(prefix, 'nginx.conf');
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((kind) => `  ${kind}_temp_path ${join(prefix, 'tmp', kind)};`)
    .join('\n');
  writeFileSync(
    conf,
    [
      'worker_processes 1;',
      'daemon off;',
      `pid ${join(prefix, 'nginx.pid')};`,
      `error_log ${join(prefix, 'error.log')} warn;`,
      'events { worker_connections 8192; }',
      'http {',
      '  access_log off;',
      temp,
      '  keepalive_requests 10000000;',
      '  default_type text/plain;',
      '  server {',
      `    listen 127.0.0.1:${port} backlog=4096;`,
      `    location = ${XFF_PATH} { return 200 "$http_x_forwarded_for"; }`,
      `    location / { return 200 "${'x'.repeat(bodyBytes)}"; }`,
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  const args = ['-p', prefix, '-e', join(prefix, 'error.log'), '-c', conf];
  return launch('nginx', nginx, args, port, false, dir);
}
