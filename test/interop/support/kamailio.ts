// Kamailio 5.6 as the reference SIP backend on loopback: a registrar with digest authentication
// and no database (users and passwords from the options, in an htable filled at start-up), usrloc
// in memory, UDP+TCP on one free port and optionally TLS (tls module, self-signed EC certificate)
// and PROXY protocol (tcp_accept_haproxy). Config template and reply table: sip/kamailio.cfg.
// Every request Kamailio routes is logged (xlog) and parsed back: requests(), replies().

import { accessSync, constants, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ListenTarget, waitForServer } from './listen.ts';
import { findFreePorts } from './ports.ts';
import { type RunningProcess, runTool, startProcess } from './process.ts';

export const KAMAILIO_HOST = '127.0.0.1';

export interface KamailioOptions {
  /** 'user@domain' -> password, e.g. { 'alice@a.test': 'pw1' }. */
  readonly users: Readonly<Record<string, string>>;
  /** Domains served besides those of the users (REGISTER for any other: 404). */
  readonly domains?: readonly string[];
  /** Also SIP over TLS on `tlsPort` (needs Kamailio's tls module: see requireKamailioTls). */
  readonly tls?: boolean;
  /** tcp_accept_haproxy=yes: a TCP/TLS connection may start with a PROXY v1/v2 header. */
  readonly proxyProtocol?: boolean;
}

export interface SipUser {
  readonly user: string;
  readonly domain: string;
  readonly password: string;
  /** user@domain */
  readonly aor: string;
}

/** What the xlog lines of sip/kamailio.cfg say about a request. */
interface KamailioLogLine {
  readonly method: string;
  readonly fromUser: string;
  readonly fromDomain: string;
  /** After a PROXY header: the address it gave. */
  readonly sourceIp: string;
  readonly sourcePort: number;
  readonly callId: string;
}

/** One request as Kamailio's request_route saw it. */
export interface KamailioRequest extends KamailioLogLine {
  /** udp, tcp or tls. */
  readonly proto: string;
}

/** A reply Kamailio's script sent (401 challenge, 403, 404, 501, 200 ...). */
export interface KamailioReply extends KamailioLogLine {
  readonly code: number;
}

export interface Kamailio {
  readonly process: RunningProcess;
  readonly dir: string;
  readonly configFile: string;
  readonly host: string;
  /** UDP and TCP. */
  readonly port: number;
  /** Undefined unless options.tls. */
  readonly tlsPort: number | undefined;
  /** The self-signed certificate of the TLS listener (PEM), undefined without TLS. */
  readonly certFile: string | undefined;
  readonly proxyProtocol: boolean;
  readonly domains: readonly string[];
  readonly users: readonly SipUser[];
  /** Every request routed so far, in order (parsed from Kamailio's stderr). */
  requests(): KamailioRequest[];
  replies(): KamailioReply[];
  /** Resolves with the first request (seen so far or later) that matches; rejects after timeoutMs. */
  waitForRequest(
    match: (request: KamailioRequest) => boolean,
    timeoutMs?: number,
  ): Promise<KamailioRequest>;
  /** Resolves with all matching requests once there are at least `count`. Default timeout: 5 s. */
  waitForRequests(
    match: (request: KamailioRequest) => boolean,
    count: number,
    timeoutMs?: number,
  ): Promise<KamailioRequest[]>;
  waitForReply(
    match: (reply: KamailioReply) => boolean,
    timeoutMs?: number,
  ): Promise<KamailioReply>;
}

const USER_PART = /^[A-Za-z0-9._+-]+$/;
const DOMAIN = /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/;
/** Printable ASCII without the quote and the backslash: safe inside a cfg string literal. */
const PASSWORD = /^[\x20\x21\x23-\x5b\x5d-\x7e]+$/;

export function parseSipUsers(users: Readonly<Record<string, string>>): SipUser[] {
  return Object.entries(users).map(([aor, password]) => {
    const at = aor.lastIndexOf('@');
    const user = aor.slice(0, at);
    const domain = aor.slice(at + 1);
    if (at < 1 || !USER_PART.test(user) || !DOMAIN.test(domain)) {
      throw new Error(`kamailio: user ${JSON.stringify(aor)} is not user@domain`);
    }
    if (!PASSWORD.test(password)) {
      throw new Error(`kamailio: password of ${aor} must be printable ASCII without " or \\`);
    }
    return { user, domain, password, aor };
  });
}

/** The folder holding Kamailio's modules (it differs by architecture), if installed. */
export function kamailioModulesDir(): string | undefined {
  let multiarch: string[] = [];
  try {
    multiarch = readdirSync('/usr/lib').filter((name) => name.includes('-linux-'));
  } catch {
    // no /usr/lib
  }
  const candidates = [
    ...multiarch.map((name) => `/usr/lib/${name}/kamailio/modules`),
    ...['/usr/lib64', '/usr/lib', '/usr/local/lib64', '/usr/local/lib'].map(
      (lib) => `${lib}/kamailio/modules`,
    ),
  ];
  return candidates.find((dir) => moduleExists(dir, 'sl.so'));
}

function moduleExists(dir: string, name: string): boolean {
  try {
    accessSync(join(dir, name), constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

export function kamailioHasTls(): boolean {
  const dir = kamailioModulesDir();
  return dir !== undefined && moduleExists(dir, 'tls.so');
}

/** Like requireTool, for Kamailio's tls module: fails on CI, skips the test locally. */
export function requireKamailioTls(t: TestContext): boolean {
  if (kamailioHasTls()) return true;
  const message =
    "Kamailio's tls module (tls.so) is missing (Debian: apt-get install kamailio-tls-modules)";
  if (process.env['CI'] !== undefined && process.env['CI'] !== '') {
    throw new Error(`${message}; CI must have it`);
  }
  t.skip(message);
  return false;
}

export interface KamailioLayout {
  readonly port: number;
  readonly tlsPort: number | undefined;
  readonly modulesDir: string | undefined;
  readonly tlsConfigFile: string;
}

/** kamailio.cfg from the template (pure apart from reading it). */
export async function kamailioConfig(
  options: KamailioOptions,
  layout: KamailioLayout,
): Promise<string> {
  const users = parseSipUsers(options.users);
  const domains = servedDomains(options, users);
  const core = [
    `listen=udp:${KAMAILIO_HOST}:${layout.port}`,
    `listen=tcp:${KAMAILIO_HOST}:${layout.port}`,
    ...(layout.tlsPort === undefined
      ? ['enable_tls=no']
      : ['enable_tls=yes', `listen=tls:${KAMAILIO_HOST}:${layout.tlsPort}`]),
    ...(options.proxyProtocol === true ? ['tcp_accept_haproxy=yes'] : []),
  ];
  const tls = layout.tlsPort !== undefined;
  const init = [
    ...users.map((u) => `\t$sht(users=>${u.user}@${u.domain}) = "${u.password}";`),
    ...domains.map((domain) => `\t$sht(domains=>${domain}) = 1;`),
  ];
  const fill: Record<string, string> = {
    CORE: core.join('\n'),
    MPATH: layout.modulesDir === undefined ? '' : `mpath="${layout.modulesDir}/"`,
    TLS_MODULE: tls ? 'loadmodule "tls.so"' : '',
    TLS_PARAMS: tls ? `modparam("tls", "config", "${layout.tlsConfigFile}")` : '',
    HTABLE_INIT: init.join('\n'),
  };
  return fillTemplate('kamailio.cfg', fill);
}

/** A template of ./sip/ with every @@NAME@@ replaced by fill[NAME]. */
export async function fillTemplate(
  name: string,
  fill: Readonly<Record<string, string>>,
): Promise<string> {
  const template = await readFile(new URL(`./sip/${name}`, import.meta.url), 'utf8');
  return template.replace(/@@([A-Z_]+)@@/g, (_, key: string) => {
    const value = fill[key];
    if (value === undefined) throw new Error(`${name}: unknown placeholder ${key}`);
    return value;
  });
}

function servedDomains(options: KamailioOptions, users: readonly SipUser[]): string[] {
  const domains = [...new Set([...users.map((u) => u.domain), ...(options.domains ?? [])])];
  for (const domain of domains) {
    if (!DOMAIN.test(domain)) throw new Error(`kamailio: bad domain ${JSON.stringify(domain)}`);
  }
  return domains;
}

/** A self-signed P-256 certificate for 127.0.0.1 and localhost, written with openssl. */
export async function selfSignedCert(
  dir: string,
  commonName: string,
): Promise<{ certFile: string; keyFile: string }> {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const run = await runTool(
    'openssl',
    [
      ...'req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2'.split(' '),
      ...['-subj', `/CN=${commonName}`, '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
      ...['-keyout', keyFile, '-out', certFile],
    ],
    { timeoutMs: 20_000 },
  );
  if (run.code !== 0) throw new Error(`openssl req failed: ${run.stderr}`);
  return { certFile, keyFile };
}

const REQUEST_LINE =
  /PBXGATE-KAM-REQ method=(\S*) fd=(\S*) fU=(\S*) si=(\S*) sp=(\d*) proto=(\S*) cid=(.*)$/gm;
const REPLY_LINE =
  /PBXGATE-KAM-REPLY code=(\d+) method=(\S*) fd=(\S*) fU=(\S*) si=(\S*) sp=(\d*) cid=(.*)$/gm;

/** The common fields of a log line, from its matches at `first` (method) onwards. */
function logLine(m: RegExpMatchArray, first: number): KamailioLogLine {
  const at = (i: number): string => m[first + i] ?? '';
  return {
    method: at(0),
    fromDomain: at(1),
    fromUser: at(2),
    sourceIp: at(3),
    sourcePort: Number(at(4)),
    callId: m[m.length - 1]?.trim() ?? '',
  };
}

export function parseKamailioRequests(output: string): KamailioRequest[] {
  return [...output.matchAll(REQUEST_LINE)].map((m) => ({ ...logLine(m, 1), proto: m[6] ?? '' }));
}

export function parseKamailioReplies(output: string): KamailioReply[] {
  return [...output.matchAll(REPLY_LINE)].map((m) => ({ ...logLine(m, 2), code: Number(m[1]) }));
}

async function waitFor<T>(find: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what} not seen after ${timeoutMs} ms`);
    await sleep(25);
  }
}

export async function startKamailio(t: TestContext, options: KamailioOptions): Promise<Kamailio> {
  const users = parseSipUsers(options.users);
  const domains = servedDomains(options, users);
  const modulesDir = kamailioModulesDir();
  if (options.tls === true && !kamailioHasTls()) {
    throw new Error('kamailio: tls module missing (Debian: apt-get install kamailio-tls-modules)');
  }
  // P for UDP+TCP, P+1 for TLS.
  const port = await findFreePorts({ count: options.tls === true ? 2 : 1 });
  const tlsPort = options.tls === true ? port + 1 : undefined;
  const dir = await mkdtemp(join(tmpdir(), 'kamailio-interop-'));
  const configFile = join(dir, 'kamailio.cfg');
  const tlsConfigFile = join(dir, 'tls.cfg');
  const certFile = tlsPort === undefined ? undefined : join(dir, 'cert.pem');
  const starting = (async () => {
    if (tlsPort !== undefined) {
      const cert = await selfSignedCert(dir, 'kamailio.test');
      await writeFile(
        tlsConfigFile,
        await fillTemplate('kamailio-tls.cfg', { CERT: cert.certFile, KEY: cert.keyFile }),
      );
    }
    await writeFile(
      configFile,
      await kamailioConfig(options, { port, tlsPort, modulesDir, tlsConfigFile }),
    );
    await mkdir(join(dir, 'run'));
    const args = ['-DD', '-E', '-f', configFile, '-Y', join(dir, 'run'), '-w', dir];
    // -DD: no daemon, -E: log to stderr; 64 MB shared and 8 MB private memory per process.
    return startProcess(t, 'kamailio', [...args, '-m', '64', '-M', '8']);
  })();
  // startProcess has registered stop() by now; t.after hooks run in order, so this runs after it.
  const running = await starting.finally(() => {
    t.after(() => rm(dir, { recursive: true, force: true }));
  });
  const targets: ListenTarget[] = [
    { proto: 'udp', host: KAMAILIO_HOST, port },
    { proto: 'tcp', host: KAMAILIO_HOST, port },
    ...(tlsPort === undefined
      ? []
      : [{ proto: 'tcp' as const, host: KAMAILIO_HOST, port: tlsPort }]),
  ];
  await waitForServer('kamailio', running, targets);
  const requests = (): KamailioRequest[] => parseKamailioRequests(running.output());
  const replies = (): KamailioReply[] => parseKamailioReplies(running.output());
  return {
    process: running,
    dir,
    configFile,
    host: KAMAILIO_HOST,
    port,
    tlsPort,
    certFile,
    proxyProtocol: options.proxyProtocol === true,
    domains,
    users,
    requests,
    replies,
    waitForRequest: (match, timeoutMs = 5000) =>
      waitFor(() => requests().find(match), timeoutMs, 'kamailio: the awaited request'),
    waitForRequests: (match, count, timeoutMs = 5000) =>
      waitFor(
        () => {
          const found = requests().filter(match);
          return found.length >= count ? found : undefined;
        },
        timeoutMs,
        `kamailio: ${count} awaited requests`,
      ),
    waitForReply: (match, timeoutMs = 5000) =>
      waitFor(() => replies().find(match), timeoutMs, 'kamailio: the awaited reply'),
  };
}
