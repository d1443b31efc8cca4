// coturn (`turnserver`) as a STUN reference server on loopback, configured as in
// shared/reference/coturn-recipes.md §5: no auth, no CLI, no TLS/DTLS, every file in a temp dir.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { type ListenTarget, waitForServer } from './listen.ts';
import type { PortPair } from './ports.ts';
import { type RunningProcess, startProcess } from './process.ts';

export interface CoturnOptions {
  /** listening-port and alt-listening-port (with two addresses coturn listens on both, on each). */
  readonly ports: PortPair;
  /** Also listen on 127.0.0.2: RFC 5780 / RFC 3489 behaviour discovery on. Default: false. */
  readonly twoAddresses?: boolean;
}

export interface Coturn {
  readonly process: RunningProcess;
  readonly dir: string;
  readonly addresses: readonly string[];
  /** coturn's own log file, for diagnostics. */
  log(): Promise<string>;
}

/** A STUN-only coturn (RFC 5780 on every listening IP, no auth), its files in `dir`. */
export function coturnStunConfig(
  server: {
    readonly addresses: readonly string[];
    readonly relayIp: string;
    readonly port: number;
    readonly altPort: number;
  },
  dir: string,
): string {
  return [
    ...server.addresses.map((address) => `listening-ip=${address}`),
    `relay-ip=${server.relayIp}`,
    `listening-port=${server.port}`,
    `alt-listening-port=${server.altPort}`,
    'no-tls',
    'no-dtls',
    // No allocation is made by these tests, so the relay range is never bound.
    'min-port=61000',
    'max-port=61099',
    'no-auth',
    'fingerprint',
    'no-cli',
    `pidfile=${join(dir, 'turnserver.pid')}`,
    `log-file=${join(dir, 'turnserver.log')}`,
    'simple-log',
    `userdb=${join(dir, 'turndb')}`,
    '',
  ].join('\n');
}

export function coturnConfig(options: CoturnOptions, dir: string): string {
  const addresses = options.twoAddresses === true ? ['127.0.0.1', '127.0.0.2'] : ['127.0.0.1'];
  const { port, altPort } = options.ports;
  return coturnStunConfig({ addresses, relayIp: '127.0.0.1', port, altPort }, dir);
}

export async function startCoturn(t: TestContext, options: CoturnOptions): Promise<Coturn> {
  const dir = await mkdtemp(join(tmpdir(), 'coturn-interop-'));
  const configFile = join(dir, 'turnserver.conf');
  const starting = (async () => {
    await writeFile(configFile, coturnConfig(options, dir));
    return startProcess(t, 'turnserver', ['-c', configFile]);
  })();
  // startProcess has registered stop() by now; t.after hooks run in order, so this runs after it.
  const running = await starting.finally(() => {
    t.after(() => rm(dir, { recursive: true, force: true }));
  });
  const addresses = options.twoAddresses === true ? ['127.0.0.1', '127.0.0.2'] : ['127.0.0.1'];
  // With one address coturn has no RFC 5780 and does not bind the alt port.
  const ports =
    options.twoAddresses === true
      ? [options.ports.port, options.ports.altPort]
      : [options.ports.port];
  const targets: ListenTarget[] = addresses.flatMap((host) =>
    ports.flatMap((port) => [
      { proto: 'udp' as const, host, port },
      { proto: 'tcp' as const, host, port },
    ]),
  );
  await waitForServer('coturn', running, targets);
  return {
    process: running,
    dir,
    addresses,
    log: () => readFile(join(dir, 'turnserver.log'), 'utf8').catch(() => ''),
  };
}
