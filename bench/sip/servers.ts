// The servers of the SIP and TCP benchmarks, each on a free loopback port with its config, logs and
// state in the measurement's temp directory: Kamailio (registrar, from kamailio-registrar.cfg),
// pbxgate (sip-tcp listener, one service routed by the From domain) and HAProxy (mode tcp, one
// thread, routing by the From domain of the first SIP message like peer-bench/sip.sh).

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freeLoopbackPort, requireTool } from '../http/servers.ts';
import { type Started, launchServer } from './harness.ts';

/** The SIP domain of the service: the From domain of every request the benchmarks send. */
export const SIP_DOMAIN = 'example.com';
/** Users u1000 .. u1999 with passwords pw1000 .. pw1999. */
export const USER_COUNT = 1000;
const FIRST_USER = 1000;

export type KamailioMode = 'noauth' | 'auth';

/**
 * Kamailio's module folder, from the files of the Debian package (it differs by architecture:
 * x86_64-linux-gnu, aarch64-linux-gnu ...); the multiarch folders of /usr/lib when dpkg cannot say.
 */
export function kamailioModulesDir(): string {
  let files: string[] = [];
  try {
    files = execFileSync('dpkg', ['-L', 'kamailio'], { encoding: 'utf8' }).split('\n');
  } catch {
    // not a Debian system, or not installed as a package
  }
  const sl = files.find((file) => file.endsWith('/kamailio/modules/sl.so'));
  if (sl !== undefined) return sl.slice(0, -'sl.so'.length);
  const probe = spawnSync(
    'sh',
    ['-c', 'ls -d /usr/lib/*/kamailio/modules/ /usr/lib*/kamailio/modules/'],
    {
      encoding: 'utf8',
    },
  );
  const dir = probe.stdout.split('\n').find((line) => line.trim() !== '');
  if (dir === undefined) {
    throw new Error('Kamailio modules not found: apt-get install -y kamailio');
  }
  return dir.endsWith('/') ? dir : `${dir}/`;
}

/** sipp's injection file: field0 = user, field1 = its whole [authentication ...] keyword. */
export function writeUsers(file: string): void {
  const lines = ['SEQUENTIAL'];
  for (let i = FIRST_USER; i < FIRST_USER + USER_COUNT; i++) {
    lines.push(`u${i};[authentication username=u${i} password=pw${i}]`);
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

/** db_text tables for auth_db: version and subscriber (plain passwords, calculate_ha1). */
function writeSubscribers(dbDir: string): void {
  mkdirSync(dbDir, { recursive: true });
  writeFileSync(
    join(dbDir, 'version'),
    'id(int,auto) table_name(string) table_version(int) \n0:subscriber:7\n',
  );
  const rows = [
    'id(int,auto) username(string) domain(string) password(string) ha1(string,null) ha1b(string,null) ',
  ];
  for (let i = FIRST_USER; i < FIRST_USER + USER_COUNT; i++) {
    rows.push(`${i}:u${i}:${SIP_DOMAIN}:pw${i}::`);
  }
  writeFileSync(join(dbDir, 'subscriber'), `${rows.join('\n')}\n`);
}

function kamailioConfig(fill: Readonly<Record<string, string>>): string {
  const template = readFileSync(new URL('./kamailio-registrar.cfg', import.meta.url), 'utf8');
  return template.replace(/@@([A-Z_]+)@@/g, (_, key: string) => {
    const value = fill[key];
    if (value === undefined) throw new Error(`kamailio-registrar.cfg: unknown placeholder ${key}`);
    return value;
  });
}

export async function startKamailio(
  dir: string,
  mode: KamailioMode,
  tcpChildren: number,
  signal: AbortSignal,
): Promise<Started> {
  const kamailio = requireTool('kamailio');
  const port = await freeLoopbackPort();
  const dbDir = join(dir, 'db');
  const runDir = join(dir, 'run');
  mkdirSync(runDir, { recursive: true });
  writeSubscribers(dbDir);
  const config = join(dir, 'kamailio.cfg');
  writeFileSync(
    config,
    kamailioConfig({
      PORT: String(port),
      MPATH: kamailioModulesDir(),
      DBDIR: dbDir,
      TCP_CHILDREN: String(tcpChildren),
    }),
  );
  const defines = mode === 'auth' ? ['-A', 'WITH_AUTH'] : [];
  const check = spawnSync(kamailio, ['-c', '-f', config, ...defines], { encoding: 'utf8' });
  if (check.status !== 0) {
    throw new Error(`kamailio -c refused ${config}:\n${check.stdout}${check.stderr}`);
  }
  // -DD: stay in the foreground (children forked), -E: log to stderr; shared / private memory MB.
  const args = [
    '-f',
    config,
    ...defines,
    '-DD',
    '-E',
    '-Y',
    runDir,
    '-w',
    dir,
    '-m',
    '256',
    '-M',
    '16',
  ];
  const logFile = join(dir, `kamailio-${mode}.out`);
  return launchServer('kamailio', kamailio, args, { cwd: dir, logFile, port }, signal);
}

/**
 * pbxgate with only a sip-tcp listener and one service, `example.com`, at 127.0.0.1:backendPort.
 * `cpuProfDir`: run under node --cpu-prof (the profile is written when it stops).
 */
export async function startPbxgate(
  dir: string,
  entry: string,
  backendPort: number,
  signal: AbortSignal,
  cpuProfDir?: string,
): Promise<Started> {
  const port = await freeLoopbackPort();
  const config = join(dir, 'pbxgate.yaml');
  writeFileSync(
    config,
    [
      `stateDir: ${join(dir, 'pbxgate-state')}`,
      'log: { level: warn }',
      'proxy:',
      `  listen: { sip-tcp: 127.0.0.1:${port} }`,
      '  services:',
      `    - { name: ${SIP_DOMAIN}, host: 127.0.0.1, ports: { sip: { tcp: ${backendPort} } } }`,
      '',
    ].join('\n'),
  );
  const profile = cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`];
  const args = [...profile, entry, 'start', '--config', config];
  const logFile = join(dir, 'pbxgate.out');
  return launchServer('pbxgate', process.execPath, args, { cwd: dir, logFile, port }, signal);
}

/**
 * HAProxy 2.6, mode tcp, one thread: waits for the end of the first SIP head, routes a From in
 * SIP_DOMAIN to 127.0.0.1:backendPort and rejects anything else (peer-bench/sip.sh's recipe).
 * `splice`: option splice-auto on both sides (kernel splice between the sockets).
 */
export async function startHaproxy(
  dir: string,
  backendPort: number,
  splice: boolean,
  signal: AbortSignal,
): Promise<Started> {
  const haproxy = requireTool('haproxy');
  const port = await freeLoopbackPort();
  const domain = SIP_DOMAIN.replaceAll('.', '\\.');
  const spliceLine = splice ? ['  option splice-auto'] : [];
  const config = join(dir, 'haproxy.cfg');
  writeFileSync(
    config,
    [
      'global',
      '  nbthread 1',
      '  maxconn 4000',
      'defaults',
      '  mode tcp',
      '  timeout connect 5s',
      '  timeout client 60s',
      '  timeout server 60s',
      'frontend fe_sip',
      `  bind 127.0.0.1:${port} backlog 4096`,
      ...spliceLine,
      '  tcp-request inspect-delay 5s',
      '  acl sip_headers_complete req.payload(0,0) -m reg "\\r\\n\\r\\n"',
      `  acl from_domain req.payload(0,0) -m reg -i "\\r\\n(From|f)[ \\t]*:[^\\r]*@${domain}"`,
      '  tcp-request content accept if sip_headers_complete',
      '  tcp-request content reject if WAIT_END',
      '  use_backend be_pbx if from_domain',
      '  default_backend be_reject',
      'backend be_pbx',
      ...spliceLine,
      `  server pbx 127.0.0.1:${backendPort}`,
      'backend be_reject',
      '  tcp-request content reject',
      '',
    ].join('\n'),
  );
  const check = spawnSync(haproxy, ['-c', '-q', '-f', config], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`haproxy -c refused ${config}:\n${check.stderr}`);
  const logFile = join(dir, splice ? 'haproxy-splice.out' : 'haproxy.out');
  return launchServer(
    'haproxy',
    haproxy,
    ['-db', '-f', config],
    { cwd: dir, logFile, port },
    signal,
  );
}
