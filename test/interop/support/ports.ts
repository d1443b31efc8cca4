// Free ports for interop tests: picked at random below the kernel's ephemeral range (so no
// client's ephemeral socket takes them meanwhile) and checked by binding, never by connecting.

import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';

export type Proto = 'udp' | 'tcp';

export interface PortQuery {
  /** Addresses on which every port must be free. Default: 127.0.0.1. */
  readonly hosts?: readonly string[];
  /** Default: both. */
  readonly protos?: readonly Proto[];
  /** How many consecutive ports, starting at the returned one. Default: 1. */
  readonly count?: number;
}

/** 20000-32767: high, and below Linux's default ephemeral range 32768-60999. */
const RANGE_LOW = 20_000;
const RANGE_HIGH = 32_767;
const ATTEMPTS = 200;

export function canBind(proto: Proto, host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (proto === 'udp') {
      const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      socket.once('error', () => {
        socket.close();
        resolve(false);
      });
      socket.bind({ address: host, port, exclusive: true }, () => {
        socket.close(() => {
          resolve(true);
        });
      });
      return;
    }
    const server = createServer();
    server.once('error', () => {
      resolve(false);
    });
    server.listen({ host, port, exclusive: true }, () => {
      server.close(() => {
        resolve(true);
      });
    });
  });
}

async function allFree(query: Required<PortQuery>, base: number): Promise<boolean> {
  for (let port = base; port < base + query.count; port++) {
    for (const host of query.hosts) {
      for (const proto of query.protos) {
        if (!(await canBind(proto, host, port))) return false;
      }
    }
  }
  return true;
}

/** The first of `count` consecutive ports free on every host and protocol asked for. */
export async function findFreePorts(query: PortQuery = {}): Promise<number> {
  const full: Required<PortQuery> = {
    hosts: query.hosts ?? ['127.0.0.1'],
    protos: query.protos ?? ['udp', 'tcp'],
    count: query.count ?? 1,
  };
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const base = RANGE_LOW + Math.floor(Math.random() * (RANGE_HIGH - RANGE_LOW - full.count));
    if (await allFree(full, base)) return base;
  }
  throw new Error(`no ${full.count} free consecutive port(s) found in ${ATTEMPTS} attempts`);
}

export function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  return findFreePorts({ hosts: [host], protos: ['udp'] });
}

export function freeTcpPort(host = '127.0.0.1'): Promise<number> {
  return findFreePorts({ hosts: [host], protos: ['tcp'] });
}

/** One port free for both UDP and TCP on `host`. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return findFreePorts({ hosts: [host] });
}

export interface PortPair {
  readonly port: number;
  /** Always port + 1 (coturn's default alt-listening-port). */
  readonly altPort: number;
}

/** P and P+1, free for UDP and TCP on both 127.0.0.1 and 127.0.0.2: an RFC 5780 server's 2x2 set. */
export async function freePortPair(): Promise<PortPair> {
  const port = await findFreePorts({ hosts: ['127.0.0.1', '127.0.0.2'], count: 2 });
  return { port, altPort: port + 1 };
}

export interface PortRange {
  readonly low: number;
  readonly high: number;
}

/** The kernel's ephemeral port range, where a client's port-0 socket lands. */
export async function ephemeralPortRange(): Promise<PortRange> {
  const text = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '');
  const [low, high] = text.trim().split(/\s+/).map(Number);
  if (low !== undefined && high !== undefined && low > 0 && high >= low) return { low, high };
  return { low: 1024, high: 65535 };
}
