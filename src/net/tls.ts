// TLS material for every TLS listener: configured certificates chosen by SNI (the first is the
// default), or a self-signed one kept under <stateDir>/tls; re-read on reload, no restart needed.

import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { SecureContext, SecureContextOptions, TlsOptions } from 'node:tls';
import { PbxgateError } from '../errors.ts';
import { createSelfSignedCertificate } from './self-signed.ts';

export interface TlsLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
}

export interface TlsContextOptions {
  /** PEM files presented to clients, chosen by SNI; the first is the default. Empty: self-signed. */
  readonly certificates: readonly TlsFiles[];
  /** PEM files of CAs for client certificate checks. */
  readonly trust: readonly string[];
  readonly stateDir: string;
  readonly log: TlsLog;
  /**
   * 48 bytes for session tickets (RFC 5077). Processes that serve one port share them, so a
   * session resumes whichever worker the reconnect lands on. Absent: node's random per server.
   */
  readonly ticketKeys?: Buffer | undefined;
}

export interface TlsCertificateInfo {
  readonly certFile: string;
  readonly keyFile: string;
  readonly commonName: string | undefined;
  /** Subject alternative names as `DNS:…` / `IP Address:…`, as node:crypto prints them. */
  readonly altNames: readonly string[];
  readonly fingerprint256: string;
  readonly validTo: Date;
}

export type SniCallback = NonNullable<TlsOptions['SNICallback']>;
export type TlsServerContextOptions = SecureContextOptions & { readonly SNICallback: SniCallback };

export interface TlsMaterial {
  /** In configuration order; the first is presented when SNI names none of them (or is absent). */
  readonly certificates: readonly TlsCertificateInfo[];
  /**
   * For `tls.createServer`. `server.setSecureContext(next.secureContextOptions())` swaps the
   * default certificate only: node keeps the SNICallback given at creation, so a reloadable
   * listener passes `SNICallback: (name, cb) => { cb(null, current.selectContext(name)); }`.
   */
  secureContextOptions(): TlsServerContextOptions;
  /** The first certificate whose SAN (or CN, without DNS SANs) matches; else the default. */
  selectContext(servername: string): SecureContext;
  /** Re-reads every file; throws PbxgateError('PBX_ERR_TLS') naming the file that failed. */
  reload(): Promise<TlsMaterial>;
}

const MIN_VERSION = 'TLSv1.2';
const DAY_MS = 24 * 60 * 60 * 1000;
const SELF_SIGNED_DAYS = 825;
const RENEW_SELF_SIGNED_MS = 30 * DAY_MS;
const EXPIRY_WARNING_MS = 30 * DAY_MS;
// RFC 6125 §6.4.3: a wildcard is the whole left-most label and stands for exactly one label.
const CHECK_HOST = {
  subject: 'default',
  partialWildcards: false,
  multiLabelWildcards: false,
} as const;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const HOSTNAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

interface LoadedPair {
  readonly info: TlsCertificateInfo;
  readonly x509: X509Certificate;
  readonly cert: string;
  readonly key: string;
  readonly context: SecureContext;
}

export async function loadTlsContext(opts: TlsContextOptions): Promise<TlsMaterial> {
  const ca = await Promise.all(opts.trust.map(readTrust));
  const pairs =
    opts.certificates.length > 0
      ? await Promise.all(opts.certificates.map((files) => loadPair(files, ca)))
      : [await loadSelfSigned(opts.stateDir, ca, opts.log)];
  for (const { info } of pairs) warnIfExpiring(info, opts.log, Date.now());
  return createMaterial(pairs, ca, opts.ticketKeys, () => loadTlsContext(opts));
}

function createMaterial(
  pairs: readonly LoadedPair[],
  ca: readonly string[],
  ticketKeys: Buffer | undefined,
  reload: () => Promise<TlsMaterial>,
): TlsMaterial {
  const [fallback] = pairs;
  if (fallback === undefined) throw new PbxgateError('PBX_ERR_TLS', 'no TLS certificate');
  const selectContext = (servername: string): SecureContext => {
    const name = servername.replace(/\.$/, '');
    try {
      const match = pairs.find((pair) => pair.x509.checkHost(name, CHECK_HOST) !== undefined);
      return (match ?? fallback).context;
    } catch {
      return fallback.context; // a servername node:crypto refuses to check matches nothing
    }
  };
  const SNICallback: SniCallback = (servername, cb) => {
    cb(null, selectContext(servername));
  };
  const options = {
    ...contextOptions(fallback.cert, fallback.key, ca),
    ...(ticketKeys === undefined ? {} : { ticketKeys }),
    SNICallback,
  };
  return {
    certificates: pairs.map((pair) => pair.info),
    secureContextOptions: () => ({ ...options }),
    selectContext,
    reload,
  };
}

function contextOptions(cert: string, key: string, ca: readonly string[]): SecureContextOptions {
  return { cert, key, minVersion: MIN_VERSION, ...(ca.length > 0 ? { ca: [...ca] } : {}) };
}

async function loadPair(files: TlsFiles, ca: readonly string[]): Promise<LoadedPair> {
  const [cert, key] = await Promise.all([readText(files.cert), readText(files.key)]);
  return buildPair(files, ca, cert, key);
}

function buildPair(files: TlsFiles, ca: readonly string[], cert: string, key: string): LoadedPair {
  const x509 = attempt(files.cert, 'holds no PEM certificate', () => new X509Certificate(cert));
  const privateKey = attempt(files.key, 'holds no usable PEM key', () => createPrivateKey(key));
  if (!x509.checkPrivateKey(privateKey)) {
    throw new PbxgateError('PBX_ERR_TLS', `TLS key ${files.key} does not match ${files.cert}`);
  }
  const context = attempt(files.cert, 'cannot be used with its key', () =>
    createSecureContext(contextOptions(cert, key, ca)),
  );
  const info: TlsCertificateInfo = {
    certFile: files.cert,
    keyFile: files.key,
    commonName: /^CN=(.*)$/m.exec(x509.subject)?.[1],
    altNames: x509.subjectAltName?.split(', ') ?? [],
    fingerprint256: x509.fingerprint256,
    validTo: new Date(x509.validTo),
  };
  return { info, x509, cert, key, context };
}

async function readTrust(file: string): Promise<string> {
  const pem = await readText(file);
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    throw new PbxgateError('PBX_ERR_TLS', `TLS trust file ${file} holds no PEM certificate`);
  }
  for (const block of blocks)
    attempt(file, 'holds a bad certificate', () => new X509Certificate(block));
  return pem;
}

async function loadSelfSigned(
  stateDir: string,
  ca: readonly string[],
  log: TlsLog,
): Promise<LoadedPair> {
  const dir = join(stateDir, 'tls');
  const files = { cert: join(dir, 'self-signed.pem'), key: join(dir, 'self-signed.key') };
  try {
    const pair = await loadPair(files, ca);
    if (pair.info.validTo.getTime() - Date.now() > RENEW_SELF_SIGNED_MS) return pair;
    log.warn({ file: files.cert }, 'self-signed TLS certificate expires soon: replacing it');
  } catch (err) {
    // Missing on the first start: say nothing until it is generated.
    if (!(err instanceof PbxgateError && hasCode(err.cause, 'ENOENT'))) {
      log.warn({ err, file: files.cert }, 'self-signed TLS certificate unusable: replacing it');
    }
  }
  const names = selfSignedNames();
  const pem = createSelfSignedCertificate({
    commonName: 'pbxgate',
    altNames: names,
    days: SELF_SIGNED_DAYS,
  });
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // Key first: a crash between the renames leaves a mismatch, which the next start replaces.
    await writeAtomically(files.key, pem.keyPem, 0o600);
    await writeAtomically(files.cert, pem.certPem, 0o644);
  } catch (err) {
    throw new PbxgateError('PBX_ERR_TLS', `cannot write ${files.cert}: ${describe(err)}`, {
      cause: err,
    });
  }
  const pair = buildPair(files, ca, pem.certPem, pem.keyPem);
  const { altNames, fingerprint256 } = pair.info;
  log.info(
    { file: files.cert, altNames, fingerprint256 },
    'generated a self-signed TLS certificate',
  );
  return pair;
}

function selfSignedNames(): string[] {
  const host = hostname().toLowerCase();
  const isUsable = host !== 'localhost' && host.length <= 253 && HOSTNAME.test(host);
  return ['localhost', '127.0.0.1', '::1', ...(isUsable ? [host] : [])];
}

async function writeAtomically(file: string, text: string, mode: number): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const handle = await open(tmp, 'wx', mode);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

function warnIfExpiring(info: TlsCertificateInfo, log: TlsLog, nowMs: number): void {
  const leftDays = Math.ceil((info.validTo.getTime() - nowMs) / DAY_MS);
  if (leftDays * DAY_MS >= EXPIRY_WARNING_MS) return;
  const message = leftDays <= 0 ? 'has expired' : `expires in ${leftDays} days`;
  log.warn({ file: info.certFile, validTo: info.validTo }, `TLS certificate ${message}`);
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const reason = hasCode(err, 'ENOENT') ? 'no such file' : describe(err);
    throw new PbxgateError('PBX_ERR_TLS', `cannot read ${file}: ${reason}`, { cause: err });
  }
}

function attempt<T>(file: string, problem: string, build: () => T): T {
  try {
    return build();
  } catch (err) {
    throw new PbxgateError('PBX_ERR_TLS', `${file} ${problem}: ${describe(err)}`, { cause: err });
  }
}

function hasCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === code;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
