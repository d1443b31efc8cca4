// SIPp (Debian's sip-tester 3.6.1) as a SIP client: REGISTER with digest authentication, right
// password (sip/register-auth.xml) or wrong (sip/register-rejected.xml), over TCP or TLS, at a
// rate and call count, from a chosen loopback address. Debian's sipp is built without TLS (`-t l1`
// fails), so for TLS sipp speaks TCP to a Node bridge that opens one TLS connection per sipp
// connection, from the same local address, to the target.
// Results come from sipp's statistics CSV (-trace_stat), its error log (-trace_err) and its message
// log (-trace_msg, for the status codes received). sipp exits 0 when every call succeeded, 1 when
// some failed, 255 on a fatal error such as a refused or closed connection (then 0 successful and
// 0 failed: look at `code`). One TCP connection carries every call (-t t1).

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { findFreePorts } from './ports.ts';
import { type ToolResult, runTool } from './process.ts';

export type SipTransport = 'tcp' | 'tls';

/** register: a call succeeds when registered (401 then 200); register-rejected: when refused. */
export type SippScenario = 'register' | 'register-rejected';

const SCENARIO_FILES: Readonly<Record<SippScenario, string>> = {
  register: 'register-auth.xml',
  'register-rejected': 'register-rejected.xml',
};

export function scenarioFile(scenario: SippScenario): string {
  return fileURLToPath(new URL(`./sip/${SCENARIO_FILES[scenario]}`, import.meta.url));
}

export interface SippOptions {
  /** Where REGISTERs go (pbxgate, or Kamailio directly). Default host: 127.0.0.1. */
  readonly host?: string;
  readonly port: number;
  /** Default: tcp. One connection carries every call (-t t1). */
  readonly transport?: SipTransport;
  readonly scenario?: SippScenario;
  /** From/To user, and the digest user unless authUser is given. */
  readonly user: string;
  /** From/To domain and Request-URI (the realm Kamailio challenges with). */
  readonly domain: string;
  readonly password: string;
  readonly authUser?: string;
  /** sipp -i, and the source address of its TCP connection (or of the TLS bridge's). Default 127.0.0.1. */
  readonly localIp?: string;
  /** Calls (REGISTER transactions) per second, -r. Default: 10. */
  readonly rate?: number;
  /** Total calls, -m. Default: 1. */
  readonly calls?: number;
  /** Give up on a response after this long (-recv_timeout). Default: 5000. */
  readonly recvTimeoutMs?: number;
  /** sipp's global timeout (counted as a failure). Default: calls / rate + 30 s. */
  readonly timeoutMs?: number;
  readonly extraArgs?: readonly string[];
}

export interface SippResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  /** SuccessfulCall(C) and FailedCall(C) of the last statistics row; 0 when there is none. */
  readonly successful: number;
  readonly failed: number;
  /** The last statistics row by column name; undefined when sipp wrote none (e.g. no connection). */
  readonly stats: Readonly<Record<string, string>> | undefined;
  /** Status codes of the responses sipp received, counted. */
  readonly responses: Readonly<Record<number, number>>;
  /** sipp's error log (unexpected messages, connection errors). */
  readonly errors: string;
  /** sipp's stdout and stderr (screens). */
  readonly output: string;
  /** TLS only: TLS connections the bridge opened to the target. */
  readonly tlsConnections: number;
  readonly args: readonly string[];
}

/** The last row of a sipp statistics CSV (`;`-separated, header first) by column name. */
export function parseSippStats(csv: string): Record<string, string> | undefined {
  const lines = csv.split('\n').filter((line) => line.trim() !== '');
  const header = lines[0]?.split(';');
  const last = lines.length >= 2 ? lines[lines.length - 1]?.split(';') : undefined;
  if (header === undefined || last === undefined) return undefined;
  const row: Record<string, string> = {};
  header.forEach((name, i) => {
    if (name !== '') row[name] = last[i] ?? '';
  });
  return row;
}

/** Status codes of the responses in a sipp message log (-trace_msg), counted. */
export function countResponses(messageLog: string): Record<number, number> {
  const counts: Record<number, number> = {};
  // "TCP message received [414] bytes :", an empty line, the status line. (sipp also copies
  // unexpected messages into its error text, which this does not count.)
  for (const match of messageLog.matchAll(
    /message received \[\d+\] bytes :\r?\n\r?\nSIP\/2\.0 (\d{3}) /g,
  )) {
    const code = Number(match[1]);
    counts[code] = (counts[code] ?? 0) + 1;
  }
  return counts;
}

/** One line for assertion messages, plus the error log and the end of sipp's output. */
export function describeSipp(result: SippResult): string {
  const responses = Object.entries(result.responses)
    .map(([code, n]) => `${code}x${n}`)
    .join(' ');
  return [
    `sipp exit ${result.code ?? result.signal ?? '?'}${result.timedOut ? ' (killed: timeout)' : ''}: ` +
      `${result.successful} successful, ${result.failed} failed, responses [${responses}]`,
    `args: ${result.args.join(' ')}`,
    result.errors.slice(0, 4000),
    result.output.slice(-3000),
  ].join('\n');
}

interface TlsBridge {
  readonly port: number;
  connections(): number;
  close(): Promise<void>;
}

/** TCP on localIp:ephemeral -> TLS to host:port from localIp; the certificate is not checked. */
async function startTlsBridge(localIp: string, host: string, port: number): Promise<TlsBridge> {
  const sockets = new Set<Socket>();
  let count = 0;
  const server: Server = createServer((plain) => {
    count++;
    // tls.connect has no localAddress: the TCP socket is made first, bound to localIp.
    const tcp = connect({ host, port, localAddress: localIp });
    const secure = tlsConnect({ socket: tcp, rejectUnauthorized: false });
    tcp.once('error', () => secure.destroy());
    for (const socket of [plain, tcp, secure]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    }
    plain.pipe(secure).pipe(plain);
    plain.once('error', () => secure.destroy());
    secure.once('error', () => plain.destroy());
    plain.once('close', () => secure.destroy());
    secure.once('close', () => plain.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: localIp, port: 0 }, resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('bridge: no port');
  return {
    port: address.port,
    connections: () => count,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}

async function localPorts(localIp: string): Promise<string[]> {
  const sip = await findFreePorts({ hosts: [localIp] });
  const media = await findFreePorts({ hosts: [localIp], protos: ['udp'], count: 4 });
  // sipp binds its control socket on every address.
  const control = await findFreePorts({ hosts: ['0.0.0.0'], protos: ['udp'] });
  return ['-p', String(sip), '-mp', String(media), '-cp', String(control)];
}

interface Files {
  readonly stats: string;
  readonly errors: string;
  readonly messages: string;
}

/** sipp's arguments after the remote address and the scenario file. */
function sippArgs(
  options: SippOptions,
  localIp: string,
  timeoutMs: number,
  files: Files,
): string[] {
  const transport = options.transport ?? 'tcp';
  const keys = { domain: options.domain, via_transport: transport.toUpperCase() };
  return [
    ...['-t', 't1', '-i', localIp],
    ...['-s', options.user, '-au', options.authUser ?? options.user, '-ap', options.password],
    ...Object.entries({ ...keys, contact_transport: transport }).flatMap(([k, v]) => [
      '-key',
      k,
      v,
    ]),
    ...['-r', String(options.rate ?? 10), '-m', String(options.calls ?? 1), '-nostdin'],
    // No BYE after a failed REGISTER, and no 5 s wait per failed call as with -nd.
    ...['-default_behaviors', 'all,-bye', '-recv_timeout', String(options.recvTimeoutMs ?? 5000)],
    ...['-timeout', `${Math.ceil(timeoutMs / 1000)}s`, '-timeout_error'],
    ...['-trace_stat', '-stf', files.stats, '-trace_err', '-error_file', files.errors],
    ...['-trace_msg', '-message_file', files.messages],
    ...(options.extraArgs ?? []),
  ];
}

async function sippResult(
  run: ToolResult,
  files: Files,
  args: readonly string[],
  tlsConnections: number,
): Promise<SippResult> {
  const read = (file: string): Promise<string> => readFile(file, 'utf8').catch(() => '');
  const stats = parseSippStats(await read(files.stats));
  return {
    code: run.code,
    signal: run.signal,
    timedOut: run.timedOut,
    successful: Number(stats?.['SuccessfulCall(C)'] ?? 0),
    failed: Number(stats?.['FailedCall(C)'] ?? 0),
    stats,
    responses: countResponses(await read(files.messages)),
    errors: await read(files.errors),
    output: run.stdout + run.stderr,
    tlsConnections,
    args,
  };
}

/** Runs sipp to its end (never rejects for a failed call); removes its temp dir and bridge. */
export async function runSipp(options: SippOptions): Promise<SippResult> {
  const localIp = options.localIp ?? '127.0.0.1';
  const host = options.host ?? '127.0.0.1';
  const timeoutMs =
    options.timeoutMs ?? Math.ceil(((options.calls ?? 1) / (options.rate ?? 10)) * 1000) + 30_000;
  const dir = await mkdtemp(join(tmpdir(), 'sipp-interop-'));
  const bridge =
    options.transport === 'tls' ? await startTlsBridge(localIp, host, options.port) : undefined;
  try {
    const files: Files = {
      stats: join(dir, 'stats.csv'),
      errors: join(dir, 'errors.log'),
      messages: join(dir, 'messages.log'),
    };
    const remote = bridge === undefined ? `${host}:${options.port}` : `${localIp}:${bridge.port}`;
    const scenario = scenarioFile(options.scenario ?? 'register');
    const args = [
      ...[remote, '-sf', scenario],
      ...(await localPorts(localIp)),
      ...sippArgs(options, localIp, timeoutMs, files),
    ];
    const run = await runTool('sipp', args, { cwd: dir, timeoutMs: timeoutMs + 15_000 });
    return await sippResult(run, files, args, bridge?.connections() ?? 0);
  } finally {
    await bridge?.close();
    await rm(dir, { recursive: true, force: true });
  }
}
