// Starts the admin server in-process on 127.0.0.1, port 0, with one known user and a fake fraud part.

import type { TestContext } from 'node:test';
import { hashPassword } from '../../src/admin/password.ts';
import {
  type AdminServer,
  type AdminServerDeps,
  createAdminServer,
} from '../../src/admin/server.ts';
import type { FraudDetection } from '../../src/fraud/fraud.ts';
import { createLogger } from '../../src/observe/log.ts';
import { createMetrics } from '../../src/observe/metrics.ts';
import { type FakeFraud, createFakeFraud } from './fake-fraud.ts';

export const ADMIN_USER = 'admin';
export const ADMIN_PASSWORD = 'correct horse battery staple';

let cachedHash: Promise<string> | undefined;
/** One scrypt hash per test process. */
export function adminHash(): Promise<string> {
  cachedHash ??= hashPassword(ADMIN_PASSWORD);
  return cachedHash;
}

export interface StartedAdmin {
  readonly server: AdminServer;
  readonly baseUrl: string;
  readonly fraud: FakeFraud;
  /** Suspicious events the server reported. */
  readonly events: { ip: string; reason: string }[];
  request(method: string, path: string, init?: RequestOptions): Promise<Response>;
}

export interface RequestOptions {
  /** [user, password]; null = no Authorization header. Default: the right credentials. */
  readonly auth?: readonly [string, string] | null;
  readonly json?: unknown;
  readonly body?: string;
  readonly headers?: Record<string, string>;
}

export async function startAdmin(
  t: TestContext,
  options: { fraud?: FraudDetection | null; deps?: Partial<AdminServerDeps> } = {},
): Promise<StartedAdmin> {
  const fraud = createFakeFraud({ whitelist: ['192.0.2.10', '198.51.100.0/24'] });
  const events: { ip: string; reason: string }[] = [];
  const metrics = createMetrics({ defaultMetrics: false });
  metrics.suspiciousEvents.inc({ reason: 'test' });
  const server = createAdminServer(
    {
      listen: { host: '127.0.0.1', port: 0 },
      users: [{ name: ADMIN_USER, passwordHash: await adminHash() }],
    },
    {
      log: createLogger({ level: 'silent', pretty: false }),
      metrics,
      fraud: options.fraud === null ? undefined : (options.fraud ?? fraud),
      suspicious: (ip, reason) => events.push({ ip, reason }),
      status: () => ({ version: 'test', parts: ['admin'] }),
      ...options.deps,
    },
  );
  await server.start();
  t.after(() => server.stop());
  const baseUrl = `http://127.0.0.1:${server.address().port}`;
  return {
    server,
    baseUrl,
    fraud,
    events,
    request: (method, path, init = {}) => request(baseUrl, method, path, init),
  };
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

async function request(
  baseUrl: string,
  method: string,
  path: string,
  init: RequestOptions,
): Promise<Response> {
  const headers: Record<string, string> = { ...init.headers };
  const auth = init.auth === undefined ? [ADMIN_USER, ADMIN_PASSWORD] : init.auth;
  if (auth) headers['authorization'] = basic(auth[0], auth[1]);
  let body = init.body;
  if (init.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.json);
  }
  return fetch(`${baseUrl}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
    signal: AbortSignal.timeout(5000),
  });
}

export interface ErrorJson {
  readonly error: { readonly code: string; readonly message: string };
}

export async function errorOf(response: Response): Promise<ErrorJson['error']> {
  const body = (await response.json()) as ErrorJson;
  return body.error;
}
