// The targets in front of the backend: HAProxy (HTTP mode) and pbxgate, their configs, the shared
// certificate, and the functional check run before any load.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BENCH_PATH,
  type Reply,
  SERVICE_HOST,
  type Started,
  XFF_PATH,
  fetchOnce,
  freeLoopbackPort,
  launch,
  requireTool,
} from './servers.ts';
import { type TargetName, isHttps, targetThreads } from './settings.ts';

export interface Certificate {
  readonly cert: string;
  readonly key: string;
  /** cert + key in one file, as HAProxy's `crt` wants it. */
  readonly pem: string;
}

/** A self-signed ECDSA P-256 certificate for SERVICE_HOST (the key type pbxgate generates too). */
export function makeCertificate(dir: string): Certificate {
  const openssl = requireTool('openssl');
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const pem = join(dir, 'haproxy.pem');
  execFileSync(
    openssl,
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${SERVICE_HOST}`,
      '-addext',
      `subjectAltName=DNS:${SERVICE_HOST}`,
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'pipe' },
  );
  writeFileSync(pem, readFileSync(cert, 'utf8') + readFileSync(key, 'utf8'));
  return { cert, key, pem };
}

/** HAProxy in HTTP mode: Host ACL routing, path allow-list, X-Forwarded-For, optional TLS. */
export function haproxyConfig(
  port: number,
  backendPort: number,
  threads: number,
  pem: string | undefined,
): string {
  const ssl = pem === undefined ? '' : ` ssl crt ${pem} alpn http/1.1`;
  return [
    'global',
    `  nbthread ${threads}`,
    '  maxconn 8000',
    '  tune.ssl.default-dh-param 2048',
    'defaults',
    '  mode http',
    '  timeout connect 5s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  maxconn 8000',
    'frontend fe',
    `  bind 127.0.0.1:${port}${ssl} backlog 4096`,
    '  option forwardfor',
    `  acl pbx_host req.hdr(host) -m str -i ${SERVICE_HOST}`,
    '  acl pbx_url path_beg /PBX0/',
    '  http-request deny deny_status 421 unless pbx_host',
    '  http-request deny deny_status 403 unless pbx_url',
    '  use_backend pbx if pbx_host',
    'backend pbx',
    `  server s1 127.0.0.1:${backendPort}`,
    '',
  ].join('\n');
}

async function startHaproxy(
  dir: string,
  target: TargetName,
  backendPort: number,
  certificate: Certificate | undefined,
): Promise<Started> {
  const haproxy = requireTool('haproxy');
  const port = await freeLoopbackPort();
  const cfg = join(dir, 'haproxy.cfg');
  const pem = isHttps(target) ? certificate?.pem : undefined;
  writeFileSync(cfg, haproxyConfig(port, backendPort, targetThreads(target), pem));
  try {
    execFileSync(haproxy, ['-c', '-q', '-f', cfg], { stdio: 'pipe' });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`haproxy rejects ${cfg}:\n${stderr}`, { cause: err });
  }
  return launch(target, haproxy, ['-db', '-f', cfg], port, pem !== undefined, dir);
}

export function pbxgateConfig(
  dir: string,
  port: number,
  backendPort: number,
  https: boolean,
  certificate: Certificate | undefined,
): string {
  const tls =
    https && certificate !== undefined
      ? ['tls:', '  certificates:', `    - { cert: ${certificate.cert}, key: ${certificate.key} }`]
      : [];
  return [
    `stateDir: ${join(dir, 'state')}`,
    'log: { level: warn }',
    ...tls,
    'fraud:',
    // The functional checks provoke refusals; the load generator must never be blacklisted.
    '  whitelist: [127.0.0.0/8]',
    'proxy:',
    `  listen: { ${https ? 'https' : 'http'}: "127.0.0.1:${port}" }`,
    // wrk opens CONNECTIONS connections at once from one IP (and again per request in close mode).
    '  maxPendingPerIp: 4096',
    '  services:',
    `    - name: ${SERVICE_HOST}`,
    '      host: 127.0.0.1',
    `      ports: { http: { tcp: ${backendPort} } }`,
    '      urls: [/PBX0/]',
    '',
  ].join('\n');
}

async function startPbxgate(
  dir: string,
  target: TargetName,
  backendPort: number,
  certificate: Certificate | undefined,
  entry: string,
): Promise<Started> {
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build`);
  const port = await freeLoopbackPort();
  const config = join(dir, 'pbxgate.yaml');
  const https = isHttps(target);
  writeFileSync(config, pbxgateConfig(dir, port, backendPort, https, certificate));
  const threads = targetThreads(target);
  const workers = threads > 1 ? ['--workers', String(threads)] : [];
  const args = [entry, 'start', '--config', config, ...workers];
  return launch(target, process.execPath, args, port, https, dir);
}

/** Starts a proxy target in front of the backend; `nginx` is the backend itself (not started here). */
export async function startTarget(
  target: Exclude<TargetName, 'nginx'>,
  dir: string,
  backendPort: number,
  certificate: Certificate | undefined,
  pbxgateEntryFile: string,
): Promise<Started> {
  if (target.startsWith('haproxy')) return startHaproxy(dir, target, backendPort, certificate);
  return startPbxgate(dir, target, backendPort, certificate, pbxgateEntryFile);
}

/**
 * Refuses to benchmark a misconfigured proxy: the routed request gets the body, an unknown Host and
 * a path outside /PBX0/ are refused, and the backend sees the client in X-Forwarded-For.
 */
export async function checkProxy(server: Started, bodyBytes: number): Promise<void> {
  const fail = (what: string, reply: Reply): never => {
    throw new Error(
      `${server.name} functional check: ${what}, got ${reply.status} ${JSON.stringify(reply.body.slice(0, 80))}`,
    );
  };
  const ok = await fetchOnce(server.port, server.https, BENCH_PATH);
  if (ok.status !== 200 || ok.body.length !== bodyBytes) {
    fail(`${BENCH_PATH} should be 200 with ${bodyBytes} bytes`, ok);
  }
  const xff = await fetchOnce(server.port, server.https, XFF_PATH);
  if (xff.status !== 200 || !xff.body.split(/,\s*/).includes('127.0.0.1')) {
    fail(`the backend should see X-Forwarded-For: 127.0.0.1`, xff);
  }
  const host = await fetchOnce(server.port, server.https, BENCH_PATH, 'evil.example.com');
  if (host.status >= 200 && host.status < 400) fail('an unknown Host should be refused', host);
  const path = await fetchOnce(server.port, server.https, '/admin/secret');
  if (path.status !== 403) fail('a path outside /PBX0/ should be 403', path);
}
