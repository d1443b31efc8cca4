// The STUN server list of `nat.stunServers` and `pbxgate nat-type --stun` ("a;b,c"), parsed in full.
//
//   list    = logical [ ";" logical ]                 at most two: two NATed networks, both queried
//   logical = name [ ":" port ]                       every address of the name, in parallel
//           | ip-port [ "," ip-port ]                 one or two addresses, in parallel
//   ip-port = IPv4 [ ":" port ] | "[" IPv6 "]" [ ":" port ]

import { ipLiteralFamily } from '../net/listen-url.ts';

/** RFC 8489 §18.3 / RFC 7064: the default port of stun: URIs over UDP. */
export const DEFAULT_STUN_PORT = 3478;
export const MAX_LOGICAL_SERVERS = 2;
export const MAX_ADDRESSES_PER_LIST = 2;

export interface StunEndpoint {
  /** An IP literal (no brackets). */
  readonly address: string;
  readonly port: number;
}

export type LogicalStunServer =
  | {
      readonly kind: 'name';
      /** The logical server as written (trimmed), for reports. */
      readonly text: string;
      readonly name: string;
      readonly port: number;
    }
  | {
      readonly kind: 'addresses';
      readonly text: string;
      readonly addresses: readonly StunEndpoint[];
    };

export type StunServerList =
  | { readonly ok: true; readonly servers: readonly LogicalStunServer[] }
  | { readonly ok: false; readonly problems: readonly string[] };

export const STUN_SERVERS_EXAMPLE = '"stun.example.net:3478;192.0.2.1:3478,192.0.2.2"';

// RFC 1123 §2.1 labels; a name whose last label is all digits is a mistyped IPv4 address instead.
const HOST_NAME =
  /^(?=.{1,253}\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;
const NUMERIC_LAST_LABEL = /(?:^|\.)\d+\.?$/;
const PORT_DIGITS = /^\d{1,5}$/;

type Parsed<T> = { readonly value: T } | { readonly problem: string };

export function parseStunServerList(text: string): StunServerList {
  const trimmed = text.trim();
  if (trimmed === '') {
    return {
      ok: false,
      problems: [`is empty: give one or two servers like ${STUN_SERVERS_EXAMPLE}`],
    };
  }
  const parts = trimmed.split(';').map((part) => part.trim());
  if (parts.length > MAX_LOGICAL_SERVERS) {
    return {
      ok: false,
      problems: [
        `at most ${MAX_LOGICAL_SERVERS} logical servers, separated by one ';' (found ${parts.length})`,
      ],
    };
  }
  const servers: LogicalStunServer[] = [];
  const problems: string[] = [];
  parts.forEach((part, index) => {
    const where = parts.length > 1 ? `logical server ${index + 1} (${JSON.stringify(part)}): ` : '';
    const parsed = parseLogicalServer(part);
    if ('problem' in parsed) problems.push(`${where}${parsed.problem}`);
    else servers.push(parsed.value);
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, servers };
}

function parseLogicalServer(text: string): Parsed<LogicalStunServer> {
  if (text === '') return { problem: "is empty (nothing between ';' and the end)" };
  const entries = text.split(',').map((entry) => entry.trim());
  if (entries.length > MAX_ADDRESSES_PER_LIST) {
    return {
      problem: `a ',' list holds one or two IP[:port], found ${entries.length} entries`,
    };
  }
  if (entries.length === 1) {
    const only = parseEndpoint(entries[0] ?? '');
    if ('problem' in only) return only;
    return 'name' in only.value
      ? { value: { kind: 'name', text, name: only.value.name, port: only.value.port } }
      : { value: { kind: 'addresses', text, addresses: [only.value] } };
  }
  const addresses: StunEndpoint[] = [];
  for (const entry of entries) {
    if (entry === '') return { problem: "has an empty entry in its ',' list" };
    const parsed = parseEndpoint(entry);
    if ('problem' in parsed) return parsed;
    if ('name' in parsed.value) {
      return {
        problem: `${JSON.stringify(entry)} is a DNS name, and a ',' list holds IP addresses only (give a name alone: all its addresses are queried)`,
      };
    }
    const { address, port } = parsed.value;
    if (addresses.some((seen) => seen.address === address && seen.port === port)) {
      return { problem: `lists ${formatEndpoint(parsed.value)} twice` };
    }
    addresses.push(parsed.value);
  }
  return { value: { kind: 'addresses', text, addresses } };
}

type Endpoint = StunEndpoint | { readonly name: string; readonly port: number };

function parseEndpoint(text: string): Parsed<Endpoint> {
  if (text.startsWith('[')) return parseBracketed(text);
  const colons = text.split(':').length - 1;
  if (colons > 1) {
    return ipLiteralFamily(text) === 6
      ? { problem: `IPv6 addresses go in brackets: [${text}] or [${text}]:${DEFAULT_STUN_PORT}` }
      : { problem: `${JSON.stringify(text)} is not IP[:port] or NAME[:port]` };
  }
  const colon = text.indexOf(':');
  const host = colon < 0 ? text : text.slice(0, colon);
  const port = parsePort(colon < 0 ? undefined : text.slice(colon + 1), text);
  if ('problem' in port) return port;
  if (ipLiteralFamily(host) === 4) return { value: { address: host, port: port.value } };
  if (HOST_NAME.test(host) && !NUMERIC_LAST_LABEL.test(host)) {
    return { value: { name: host, port: port.value } };
  }
  return {
    problem: `${JSON.stringify(host)} is neither an IP address (like 192.0.2.1, [2001:db8::1]) nor a DNS name`,
  };
}

function parseBracketed(text: string): Parsed<StunEndpoint> {
  const close = text.indexOf(']');
  const address = close < 0 ? '' : text.slice(1, close);
  if (close < 0 || ipLiteralFamily(address) !== 6) {
    return {
      problem: `${JSON.stringify(text)}: expected an IPv6 address in brackets, like [2001:db8::1]:3478`,
    };
  }
  const rest = text.slice(close + 1);
  if (rest !== '' && !rest.startsWith(':')) {
    return { problem: `${JSON.stringify(text)}: expected ':port' after the ']'` };
  }
  const port = parsePort(rest === '' ? undefined : rest.slice(1), text);
  return 'problem' in port ? port : { value: { address, port: port.value } };
}

function parsePort(digits: string | undefined, entry: string): Parsed<number> {
  if (digits === undefined) return { value: DEFAULT_STUN_PORT };
  const port = Number(digits);
  if (!PORT_DIGITS.test(digits) || port < 1 || port > 65535) {
    return { problem: `${JSON.stringify(entry)}: the port must be a number from 1 to 65535` };
  }
  return { value: port };
}

export function formatEndpoint(endpoint: StunEndpoint): string {
  return endpoint.address.includes(':')
    ? `[${endpoint.address}]:${endpoint.port}`
    : `${endpoint.address}:${endpoint.port}`;
}
