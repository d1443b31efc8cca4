// Listen addresses: `udp://0.0.0.0:3478`, `tcp://[::]:3478`, `tls://127.0.0.1:5349`, and the IP literals in them.
import { isIP } from 'node:net';

export type ListenTransport = 'udp' | 'tcp' | 'tls';

export interface HostPort {
  /** An IP literal, IPv6 without brackets. */
  readonly host: string;
  readonly port: number;
}

export interface ListenUrl extends HostPort {
  readonly transport: ListenTransport;
}

export interface ListenUrlError {
  readonly error: string;
}

const TRANSPORTS: readonly ListenTransport[] = ['udp', 'tcp', 'tls'];
const PORT = /^[1-9]\d{0,4}$/;
const MAX_PORT = 65535;

const LISTEN_URL_EXPECTED =
  'expected a listen URL like udp://0.0.0.0:3478, tcp://[::]:3478 or tls://127.0.0.1:5349';

/** `transport://IP:port` with the IPv6 address in brackets; host names are refused. */
export function parseListenUrl(text: string): ListenUrl | ListenUrlError {
  const at = text.indexOf('://');
  if (at < 0) return { error: LISTEN_URL_EXPECTED };
  const scheme = text.slice(0, at);
  const transport = TRANSPORTS.find((known) => known === scheme);
  if (transport === undefined) {
    return { error: `unknown transport ${JSON.stringify(scheme)}: expected udp, tcp or tls` };
  }
  const address = parseHostPort(text.slice(at + 3));
  return 'error' in address ? address : { transport, host: address.host, port: address.port };
}

export function formatListenUrl(url: ListenUrl): string {
  return `${url.transport}://${formatHostPort(url)}`;
}

/** `IPv4:port` or `[IPv6]:port`, port 1..65535. */
export function parseHostPort(text: string): HostPort | ListenUrlError {
  const split = splitHost(text);
  if ('error' in split) return split;
  const { host, rest } = split;
  if (!rest.startsWith(':')) return { error: `missing ":port" after ${JSON.stringify(host)}` };
  const digits = rest.slice(1);
  const port = parsePort(digits);
  if (port === undefined) {
    return { error: `port ${JSON.stringify(digits)} must be an integer from 1 to ${MAX_PORT}` };
  }
  return { host, port };
}

export function formatHostPort(address: HostPort): string {
  return address.host.includes(':')
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
}

function splitHost(text: string): { host: string; rest: string } | ListenUrlError {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return { error: 'missing "]" after the IPv6 address' };
    const host = text.slice(1, close);
    if (ipLiteralFamily(host) !== 6) {
      return { error: `${JSON.stringify(host)} in brackets must be an IPv6 address` };
    }
    return { host, rest: text.slice(close + 1) };
  }
  const colon = text.lastIndexOf(':');
  const host = colon < 0 ? text : text.slice(0, colon);
  if (host.includes(':')) return { error: 'an IPv6 address goes in brackets, like [::1]:3478' };
  if (ipLiteralFamily(host) !== 4) {
    return {
      error: `${JSON.stringify(host)} is not an IP address: expected an IPv4 address like 192.0.2.1 or an IPv6 address in brackets (host names are not allowed)`,
    };
  }
  return { host, rest: colon < 0 ? '' : text.slice(colon) };
}

function parsePort(digits: string): number | undefined {
  if (!PORT.test(digits)) return undefined;
  const port = Number(digits);
  return port <= MAX_PORT ? port : undefined;
}

/**
 * 4 or 6 for an IP literal written the canonical way, else undefined. Refused: short or
 * zero-padded IPv4 forms (`127.1`, `010.0.0.1`, which other parsers read differently) and IPv6
 * zone IDs (`fe80::1%eth0`).
 */
export function ipLiteralFamily(text: string): 4 | 6 | undefined {
  switch (isIP(text)) {
    case 4:
      return text.split('.').map(Number).join('.') === text ? 4 : undefined;
    case 6:
      return text.includes('%') ? undefined : 6;
    default:
      return undefined;
  }
}

/** One spelling per address (IPv6 as RFC 5952 prints it), for comparing two IP literals. */
export function canonicalIp(ip: string): string {
  if (ipLiteralFamily(ip) !== 6) return ip;
  // The WHATWG URL parser serializes an IPv6 host in RFC 5952 form (lower case, longest zero run as ::).
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

/** True for 0.0.0.0 and :: (in any spelling): "every address of this host". */
export function isWildcardAddress(ip: string): boolean {
  const canonical = canonicalIp(ip);
  return canonical === '0.0.0.0' || canonical === '::';
}
