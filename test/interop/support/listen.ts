// Waiting for a server socket by reading the kernel's socket table (`ss`), never by probing it:
// pbxgate counts a connection that sends nothing, or a stray datagram, as a suspicious event.

import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { Proto } from './ports.ts';

const run = promisify(execFile);

export interface ListenTarget {
  readonly proto: Proto;
  readonly host: string;
  readonly port: number;
}

export interface WaitOptions {
  readonly timeoutMs?: number;
  /** Stops waiting early (for example when the server process exits). */
  readonly signal?: AbortSignal;
}

/** `ss` prints IPv6 local addresses in brackets: [::1]:3478. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Local addresses of listening sockets (UDP: bound, unconnected) as ss prints them. */
export async function listeningAddresses(proto: Proto): Promise<Set<string>> {
  const { stdout } = await run('ss', ['-H', '-n', '-l', proto === 'udp' ? '-u' : '-t']);
  const addresses = new Set<string>();
  for (const line of stdout.split('\n')) {
    // State Recv-Q Send-Q Local:Port Peer:Port
    const local = line.trim().split(/\s+/)[3];
    if (local !== undefined) addresses.add(local);
  }
  return addresses;
}

export async function isListening(target: ListenTarget): Promise<boolean> {
  return (await listeningAddresses(target.proto)).has(formatHostPort(target.host, target.port));
}

/** Polls `ss -lnu` / `ss -lnt` until every target is listed. */
export async function waitForListen(
  targets: ListenTarget | readonly ListenTarget[],
  options: WaitOptions = {},
): Promise<void> {
  const list: readonly ListenTarget[] = Array.isArray(targets) ? targets : [targets];
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const missing: ListenTarget[] = [];
    for (const target of list) if (!(await isListening(target))) missing.push(target);
    if (missing.length === 0) return;
    const names = missing.map((m) => `${m.proto}://${formatHostPort(m.host, m.port)}`).join(', ');
    if (options.signal?.aborted === true) throw new Error(`stopped waiting for ${names}`);
    if (Date.now() > deadline) throw new Error(`nothing listens on ${names} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** What waitForServer needs of a started process (support/process.ts RunningProcess). */
interface StartedServer {
  readonly exited: Promise<unknown>;
  output(): string;
}

/**
 * Waits until `server` listens on every target; stops early when it exits. The error names the
 * server and carries its output, so a server that did not come up says why.
 */
export async function waitForServer(
  name: string,
  server: StartedServer,
  targets: readonly ListenTarget[],
  timeoutMs = 10_000,
): Promise<void> {
  const gone = new AbortController();
  void server.exited.then(() => {
    gone.abort();
  });
  try {
    await waitForListen(targets, { timeoutMs, signal: gone.signal });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`${name} did not come up: ${why}; output:\n${server.output()}`, { cause: err });
  }
}
