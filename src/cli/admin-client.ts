// The admin API as the CLI commands see it: where it is, who logs in, and one request whose failure
// is one readable line.

import { ConfigError } from '../config/config-error.ts';
import { loadConfigFile } from '../config/load.ts';
import { PbxgateError } from '../errors.ts';
import { type HostPort, canonicalIp, formatHostPort } from '../net/listen-url.ts';
import { type SecretInput, processSecretInput, promptSecret } from './hash-password.ts';

export const DEFAULT_ADMIN_ADDRESS: HostPort = { host: '127.0.0.1', port: 8090 };
export const PASSWORD_ENV = 'PBXGATE_ADMIN_PASSWORD';
const REQUEST_TIMEOUT_MS = 10_000;

/** The options every admin command takes (node:util parseArgs form). */
export const adminClientOptions = {
  admin: { type: 'string' },
  config: { type: 'string', short: 'c' },
  user: { type: 'string', short: 'u', default: 'admin' },
  json: { type: 'boolean', default: false },
} as const;

export const adminClientUsage =
  '[--admin URL | --config FILE] [--user NAME] [--json]   (password from $PBXGATE_ADMIN_PASSWORD)';

export interface AdminCliContext {
  readonly env: NodeJS.ProcessEnv;
  /** Asked for the password when the variable is unset and stdin is a terminal. */
  readonly input: SecretInput;
}

export const processAdminCliContext: AdminCliContext = {
  env: process.env,
  input: processSecretInput,
};

export type Result<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

export interface AdminTarget {
  readonly baseUrl: string;
  readonly user: string;
  readonly password: string;
}

/** --admin URL, else the address in --config FILE's admin.listen, else 127.0.0.1:8090. */
export async function resolveAdminTarget(
  values: { admin?: string | undefined; config?: string | undefined; user: string },
  context: AdminCliContext,
): Promise<Result<AdminTarget>> {
  const baseUrl =
    values.admin === undefined ? await urlFromConfig(values.config) : urlFromOption(values.admin);
  if (!baseUrl.ok) return baseUrl;
  let password = context.env[PASSWORD_ENV];
  if (password === undefined && context.input.stream.isTTY === true)
    password = await promptSecret(context.input, `Password for ${values.user}: `);
  if (password === undefined || password === '')
    return {
      ok: false,
      message: `set ${PASSWORD_ENV} to the password of ${values.user} (it is never taken from the command line)`,
    };
  return { ok: true, value: { baseUrl: baseUrl.value, user: values.user, password } };
}

function urlFromOption(text: string): Result<string> {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new PbxgateError('PBX_ERR_USAGE', `--admin: ${JSON.stringify(text)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new PbxgateError('PBX_ERR_USAGE', '--admin: expected an http:// or https:// URL');
  return { ok: true, value: url.origin };
}

async function urlFromConfig(file: string | undefined): Promise<Result<string>> {
  if (file === undefined)
    return { ok: true, value: `http://${formatHostPort(DEFAULT_ADMIN_ADDRESS)}` };
  let listen: HostPort | undefined;
  try {
    listen = (await loadConfigFile(file)).admin?.listen;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const count = err.problems.length;
    const message = `${file}: ${count} config problem${count === 1 ? '' : 's'} (pbxgate check --config ${file} lists them)`;
    return { ok: false, message };
  }
  if (listen === undefined)
    return {
      ok: false,
      message: `${file} has no admin: section, so the gateway runs no admin API`,
    };
  // A gateway listening on every address is reached on loopback.
  const wildcard = { '0.0.0.0': '127.0.0.1', '::': '::1' }[canonicalIp(listen.host)];
  return {
    ok: true,
    value: `http://${formatHostPort({ ...listen, host: wildcard ?? listen.host })}`,
  };
}

/** One request; the parsed JSON body (undefined for 204), or one line saying what went wrong. */
export async function callAdmin(
  target: AdminTarget,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: object,
): Promise<Result<unknown>> {
  const credentials = Buffer.from(`${target.user}:${target.password}`).toString('base64');
  const headers: Record<string, string> = { authorization: `Basic ${credentials}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`${target.baseUrl}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    return { ok: false, message: `cannot reach the admin API at ${target.baseUrl}: ${why(err)}` };
  }
  const text = await response.text();
  const json = parseJson(text);
  if (response.ok) return { ok: true, value: json };
  if (response.status === 401)
    return {
      ok: false,
      message: `${target.baseUrl} refused user "${target.user}": wrong user name or password (the password comes from ${PASSWORD_ENV})`,
    };
  const message = errorMessage(json) ?? `${response.statusText} from ${target.baseUrl}${path}`;
  return { ok: false, message: `${message} (HTTP ${response.status})` };
}

function why(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError')
    return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  const cause = err instanceof Error ? err.cause : undefined;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ECONNREFUSED')
    return 'connection refused (is pbxgate running, with an admin: section?)';
  if (code === 'ENOTFOUND') return 'unknown host';
  if (code !== undefined) return code;
  return cause instanceof Error ? cause.message : err instanceof Error ? err.message : String(err);
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function errorMessage(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null || !('error' in json)) return undefined;
  const { error } = json;
  if (typeof error !== 'object' || error === null || !('message' in error)) return undefined;
  return typeof error.message === 'string' ? error.message : undefined;
}

/** Left-aligned columns, two spaces apart, headed by `header`. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string[] {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
