// Starts pbxgate's STUN server in-process on free loopback ports, with captured suspicious events.

import type { TestContext } from 'node:test';
import { createServer } from 'node:net';
import type { TlsOptions } from 'node:tls';
import type { TlsHolder } from '../../src/net/tls-holder.ts';
import { createLogger } from '../../src/observe/log.ts';
import { createMetrics, type Metrics } from '../../src/observe/metrics.ts';
import type { ListenUrl } from '../../src/net/listen-url.ts';
import { createStunServer, type StunServer } from '../../src/stun/server.ts';
import { createSelfSignedCertificate } from '../../src/net/self-signed.ts';

export interface StartedStunServer {
  readonly server: StunServer;
  readonly metrics: Metrics;
  readonly events: { ip: string; reason: string }[];
  readonly certPem: string;
}

export const quietLog = createLogger({ level: 'silent', pretty: false });

let cert: { certPem: string; keyPem: string } | undefined;
export function testCertificate(): { certPem: string; keyPem: string } {
  cert ??= createSelfSignedCertificate({
    commonName: 'localhost',
    altNames: ['localhost', '127.0.0.1'],
    days: 1,
  });
  return cert;
}

export async function startStunServer(
  t: TestContext,
  config: { listen: ListenUrl[]; alternate?: { address: string; port: number }; software?: string },
): Promise<StartedStunServer> {
  const metrics = createMetrics({ defaultMetrics: false });
  const events: { ip: string; reason: string }[] = [];
  const { certPem, keyPem } = testCertificate();
  const options: TlsOptions = { cert: certPem, key: keyPem, minVersion: 'TLSv1.2' };
  // A fixed certificate: these tests never reload it.
  const tls: TlsHolder = {
    current: () => {
      throw new Error('no TLS material in this test');
    },
    reload: () => Promise.reject(new Error('no reload in this test')),
    serverOptions: () => options,
    track: () => undefined,
  };
  const server = createStunServer(config, {
    log: quietLog,
    metrics,
    suspicious: (ip, reason) => events.push({ ip, reason }),
    tls,
  });
  await server.start();
  t.after(() => server.stop());
  return { server, metrics, events, certPem };
}

/** A port free for TCP on 127.0.0.1 right now, from the kernel (UDP is checked by the bind itself). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) =>
    probe.close(() => {
      resolve();
    }),
  );
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export function portOf(server: StunServer, prefix: string): number {
  const url = server.addresses().find((a) => a.startsWith(prefix));
  if (url === undefined) throw new Error(`no listener ${prefix}`);
  return Number(url.slice(url.lastIndexOf(':') + 1));
}
