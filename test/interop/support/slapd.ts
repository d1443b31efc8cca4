// OpenLDAP slapd 2.5 as the reference LDAP backend on loopback: one mdb database for one suffix
// (dc=...), users cn=NAME,SUFFIX with {SSHA} passwords loaded with slapadd before start, listening
// on ldap:// (StartTLS too), ldaps:// (self-signed EC certificate) and, if asked, pldap:// (PROXY
// protocol v1/v2 required on every connection). Config template: ldap/slapd.conf. Several
// instances can run at once (own temp dir and ports each). slapd runs in the foreground with
// `-d stats`, so connections (with the address a PROXY header gave) and binds are parsed back.

import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ListenTarget, waitForServer } from './listen.ts';
import { findFreePorts } from './ports.ts';
import {
  type RunningProcess,
  type ToolResult,
  childEnv,
  runTool,
  startProcess,
} from './process.ts';

export const SLAPD_HOST = '127.0.0.1';
const STATS = '256';

export interface SlapdOptions {
  /** dc=... only, e.g. dc=a,dc=test. */
  readonly suffix: string;
  /** cn -> password: entries cn=NAME,SUFFIX (inetOrgPerson, uid=NAME). */
  readonly users: Readonly<Record<string, string>>;
  /** Password of cn=admin,SUFFIX (the rootdn). Default: admin-secret. */
  readonly rootPassword?: string;
  /** Also a pldap:// listener (PROXY protocol header required). */
  readonly proxyProtocol?: boolean;
}

export interface LdapUser {
  readonly name: string;
  readonly dn: string;
  readonly password: string;
}

export interface SlapdConnection {
  readonly conn: number;
  /** The client as slapd sees it: from the PROXY header on a pldap:// listener. */
  readonly ip: string;
  readonly port: number;
  readonly localIp: string;
  readonly localPort: number;
  /** pldap:// only: the real peer of the TCP connection (the proxy). */
  readonly via: string | undefined;
  /** TLS established on it (LDAPS or StartTLS). */
  readonly tls: boolean;
}

export interface SlapdBind {
  readonly conn: number;
  readonly op: number;
  readonly dn: string;
  /** The LDAP result code (0 success, 49 invalid credentials); undefined while pending. */
  readonly result: number | undefined;
}

export interface Slapd {
  readonly process: RunningProcess;
  readonly dir: string;
  readonly configFile: string;
  readonly host: string;
  readonly port: number;
  readonly tlsPort: number;
  readonly proxyPort: number | undefined;
  /** ldap://127.0.0.1:port, ldaps://127.0.0.1:tlsPort, ldap://127.0.0.1:proxyPort (PROXY first). */
  readonly url: string;
  readonly tlsUrl: string;
  readonly proxyUrl: string | undefined;
  readonly suffix: string;
  readonly rootDn: string;
  readonly rootPassword: string;
  readonly users: readonly LdapUser[];
  readonly certFile: string;
  connections(): SlapdConnection[];
  binds(): SlapdBind[];
  /** All binds once at least `count` have a result (slapd's log may lag its replies a little). */
  waitForBinds(count: number, timeoutMs?: number): Promise<SlapdBind[]>;
}

const SUFFIX = /^dc=[A-Za-z0-9-]+(,dc=[A-Za-z0-9-]+)*$/;
const NAME = /^[A-Za-z0-9._-]+$/;

/** RFC 2307 {SSHA}: SHA-1 of password + salt, then the salt, base64. */
export function sshaPassword(password: string): string {
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(password, 'utf8').update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

export function ldapUsers(options: SlapdOptions): LdapUser[] {
  if (!SUFFIX.test(options.suffix))
    throw new Error(`slapd: suffix must be dc=...: ${options.suffix}`);
  return Object.entries(options.users).map(([name, password]) => {
    if (!NAME.test(name)) throw new Error(`slapd: user name ${JSON.stringify(name)}`);
    return { name, dn: `cn=${name},${options.suffix}`, password };
  });
}

/** The suffix entry and the users, for slapadd. */
export function slapdLdif(options: SlapdOptions): string {
  const dcs = options.suffix.split(',').map((rdn) => rdn.slice('dc='.length));
  const domain = dcs.join('.');
  const entries = [
    [
      ...[`dn: ${options.suffix}`, 'objectClass: dcObject', 'objectClass: organization'],
      ...[`dc: ${dcs[0] ?? ''}`, `o: ${domain}`],
    ],
    ...ldapUsers(options).map((user) => [
      `dn: ${user.dn}`,
      'objectClass: inetOrgPerson',
      ...[`cn: ${user.name}`, `sn: ${user.name}`, `uid: ${user.name}`],
      `mail: ${user.name}@${domain}`,
      `userPassword: ${sshaPassword(user.password)}`,
    ]),
  ];
  return entries.map((lines) => `${lines.join('\n')}\n`).join('\n');
}

/** Where back_mdb.so is (none: built in). */
export function slapdModulePath(): string | undefined {
  return ['/usr/lib/ldap', '/usr/lib/openldap', '/usr/lib64/openldap'].find((dir) =>
    existsSync(join(dir, 'back_mdb.so')),
  );
}

const TEMPLATE = new URL('./ldap/slapd.conf', import.meta.url);

/** A self-signed P-256 certificate for 127.0.0.1 and localhost (cert.pem, key.pem in dir). */
async function selfSignedCert(dir: string): Promise<{ certFile: string; keyFile: string }> {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const run = await runTool(
    'openssl',
    [
      ...'req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2'.split(' '),
      ...['-subj', '/CN=slapd.test', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
      ...['-keyout', keyFile, '-out', certFile],
    ],
    { timeoutMs: 20_000 },
  );
  if (run.code !== 0) throw new Error(`openssl req failed: ${run.stderr}`);
  return { certFile, keyFile };
}

export async function slapdConfig(
  options: SlapdOptions,
  files: { readonly dir: string; readonly certFile: string; readonly keyFile: string },
): Promise<string> {
  const modulePath = slapdModulePath();
  const fill: Record<string, string> = {
    DIR: files.dir,
    MODULES: modulePath === undefined ? '' : `modulepath ${modulePath}\nmoduleload back_mdb`,
    CERT: files.certFile,
    KEY: files.keyFile,
    SUFFIX: options.suffix,
    ROOT_DN: `cn=admin,${options.suffix}`,
    ROOT_PW: sshaPassword(options.rootPassword ?? 'admin-secret'),
  };
  const template = await readFile(TEMPLATE, 'utf8');
  return template.replace(/@@([A-Z_]+)@@/g, (_, name: string) => {
    const value = fill[name];
    if (value === undefined) throw new Error(`slapd.conf: unknown placeholder ${name}`);
    return value;
  });
}

const ACCEPT = /conn=(\d+) fd=(\d+) ACCEPT from IP=([\d.]+):(\d+) \(IP=([\d.]+):(\d+)\)/;
const PROXIED = /proxyp\((\d+)\): via IP=([\d.]+:\d+)/;
const TLS_UP = /conn=(\d+) fd=\d+ TLS established/;

/** Connections in slapd's `-d stats` output. */
export function parseSlapdConnections(output: string): SlapdConnection[] {
  const connections: SlapdConnection[] = [];
  const via = new Map<string, string>();
  const tls = new Set<number>();
  for (const line of output.split('\n')) {
    const proxied = PROXIED.exec(line);
    const accept = ACCEPT.exec(line);
    const tlsUp = TLS_UP.exec(line);
    if (proxied) via.set(proxied[1] ?? '', proxied[2] ?? '');
    if (tlsUp) tls.add(Number(tlsUp[1]));
    if (!accept) continue;
    const fd = accept[2] ?? '';
    connections.push({
      conn: Number(accept[1]),
      ip: accept[3] ?? '',
      port: Number(accept[4]),
      localIp: accept[5] ?? '',
      localPort: Number(accept[6]),
      via: via.get(fd),
      tls: false,
    });
    via.delete(fd);
  }
  return connections.map((c) => ({ ...c, tls: tls.has(c.conn) }));
}

/** Simple binds and their results in slapd's `-d stats` output. */
export function parseSlapdBinds(output: string): SlapdBind[] {
  const binds: SlapdBind[] = [];
  const results = new Map<string, number>();
  for (const m of output.matchAll(/conn=(\d+) op=(\d+) RESULT tag=97 err=(\d+)/g)) {
    results.set(`${m[1]}/${m[2]}`, Number(m[3]));
  }
  for (const m of output.matchAll(/conn=(\d+) op=(\d+) BIND dn="([^"]*)" method=/g)) {
    binds.push({
      conn: Number(m[1]),
      op: Number(m[2]),
      dn: m[3] ?? '',
      result: results.get(`${m[1]}/${m[2]}`),
    });
  }
  return binds;
}

export async function startSlapd(t: TestContext, options: SlapdOptions): Promise<Slapd> {
  const users = ldapUsers(options);
  const proxied = options.proxyProtocol === true;
  const port = await findFreePorts({ protos: ['tcp'], count: proxied ? 3 : 2 });
  const tlsPort = port + 1;
  const proxyPort = proxied ? port + 2 : undefined;
  const dir = await mkdtemp(join(tmpdir(), 'slapd-interop-'));
  const configFile = join(dir, 'slapd.conf');
  const listeners = [
    `ldap://${SLAPD_HOST}:${port}/`,
    `ldaps://${SLAPD_HOST}:${tlsPort}/`,
    ...(proxyPort === undefined ? [] : [`pldap://${SLAPD_HOST}:${proxyPort}/`]),
  ];
  const starting = (async () => {
    const cert = await selfSignedCert(dir);
    await writeFile(configFile, await slapdConfig(options, { dir, ...cert }));
    await mkdir(join(dir, 'db'));
    await writeFile(join(dir, 'data.ldif'), slapdLdif(options));
    const load = await runTool('slapadd', ['-q', '-f', configFile, '-l', join(dir, 'data.ldif')], {
      timeoutMs: 20_000,
    });
    if (load.code !== 0) throw new Error(`slapadd failed (${load.code}): ${load.stderr}`);
    return startProcess(t, 'slapd', ['-d', STATS, '-h', listeners.join(' '), '-f', configFile]);
  })();
  // startProcess has registered stop() by now; t.after hooks run in order, so this runs after it.
  const running = await starting.finally(() => {
    t.after(() => rm(dir, { recursive: true, force: true }));
  });
  const targets: ListenTarget[] = [
    port,
    tlsPort,
    ...(proxyPort === undefined ? [] : [proxyPort]),
  ].map((p) => ({ proto: 'tcp', host: SLAPD_HOST, port: p }));
  await waitForServer('slapd', running, targets);
  const binds = (): SlapdBind[] => parseSlapdBinds(running.output());
  return {
    process: running,
    dir,
    configFile,
    host: SLAPD_HOST,
    port,
    tlsPort,
    proxyPort,
    url: `ldap://${SLAPD_HOST}:${port}`,
    tlsUrl: `ldaps://${SLAPD_HOST}:${tlsPort}`,
    proxyUrl: proxyPort === undefined ? undefined : `ldap://${SLAPD_HOST}:${proxyPort}`,
    suffix: options.suffix,
    rootDn: `cn=admin,${options.suffix}`,
    rootPassword: options.rootPassword ?? 'admin-secret',
    users,
    certFile: join(dir, 'cert.pem'),
    connections: () => parseSlapdConnections(running.output()),
    binds,
    waitForBinds: async (count, timeoutMs = 5000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const all = binds();
        if (all.filter((b) => b.result !== undefined).length >= count) return all;
        if (Date.now() > deadline) {
          throw new Error(`slapd: ${count} binds with a result not seen after ${timeoutMs} ms`);
        }
        await sleep(25);
      }
    },
  };
}

export interface LdapClientOptions {
  /** ldap://host:port or ldaps://host:port (pbxgate's listener, or slapd's). */
  readonly url: string;
  /** Simple bind; anonymous without. */
  readonly dn?: string;
  readonly password?: string;
  /** -ZZ: StartTLS, required to succeed. */
  readonly startTls?: boolean;
  /** Source address of the client's connection (LDAPSOCKET_BIND_ADDRESSES). */
  readonly sourceIp?: string;
  readonly timeoutMs?: number;
}

/** The environment for ldap-utils: the server certificate is not checked (self-signed). */
export function ldapClientEnv(sourceIp?: string): NodeJS.ProcessEnv {
  return childEnv({
    LDAPTLS_REQCERT: 'never',
    ...(sourceIp === undefined ? {} : { LDAPSOCKET_BIND_ADDRESSES: sourceIp }),
  });
}

function runLdapTool(
  tool: string,
  options: LdapClientOptions,
  extra: readonly string[],
): Promise<ToolResult> {
  const args = ['-x', '-H', options.url, '-o', 'nettimeout=5'];
  if (options.startTls === true) args.push('-ZZ');
  if (options.dn !== undefined) args.push('-D', options.dn);
  if (options.password !== undefined) args.push('-w', options.password);
  const env = ldapClientEnv(options.sourceIp);
  return runTool(tool, [...args, ...extra], { timeoutMs: options.timeoutMs ?? 15_000, env });
}

/** ldapwhoami: stdout `dn:DN` and exit 0 on success; exit 49 "Invalid credentials" on a bad password. */
export function ldapWhoami(options: LdapClientOptions): Promise<ToolResult> {
  return runLdapTool('ldapwhoami', options, []);
}

export interface LdapSearchOptions extends LdapClientOptions {
  readonly base: string;
  readonly filter: string;
  readonly attributes?: readonly string[];
}

/** ldapsearch -LLL: LDIF of the entries found on stdout. */
export function ldapSearch(options: LdapSearchOptions): Promise<ToolResult> {
  const extra = ['-LLL', '-b', options.base, options.filter, ...(options.attributes ?? [])];
  return runLdapTool('ldapsearch', options, extra);
}
