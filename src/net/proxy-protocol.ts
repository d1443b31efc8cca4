// The PROXY protocol header a backend reads before the relayed bytes (HAProxy's proxy-protocol.txt,
// versions 1 and 2): encoders for TCP over IPv4/IPv6, and a decoder (tests; later, accepting it).
import { type Decoded, incomplete, malformed, ok } from '../codec/decoded.ts';
import { isIPv4 } from 'node:net';
import { bytesToIp, ipToBytes, unmapIpv4 } from './ip-bytes.ts';

export interface Endpoint {
  readonly ip: string;
  readonly port: number;
}

export interface ProxyAddresses {
  /** The client as the gateway saw it. */
  readonly source: Endpoint;
  /** The gateway address and port the client connected to. */
  readonly destination: Endpoint;
}

export interface ProxyHeader {
  readonly version: 1 | 2;
  /** Undefined for v1 `UNKNOWN` and v2 `LOCAL`: the receiver keeps the connection's own endpoints. */
  readonly addresses: ProxyAddresses | undefined;
}

export type ProxyHeaderProblem =
  | 'proxy.bad-signature'
  | 'proxy.bad-version'
  | 'proxy.bad-command'
  | 'proxy.bad-family'
  | 'proxy.bad-address'
  | 'proxy.line-too-long';

// §2.2: "PROXY" SP protocol SP src SP dst SP sport SP dport CRLF, at most 107 bytes with the CRLF.
const V1_MAX_BYTES = 107;
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
// §2.2: the 12-byte signature, then ver_cmd, fam, len (network order).
export const V2_SIGNATURE: Uint8Array = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');
const V2_HEADER_BYTES = 16;
const V2_PROXY = 0x21; // version 2 (high nibble), command PROXY (low nibble)
const V2_LOCAL = 0x20;
const V2_TCP4 = 0x11; // AF_INET, SOCK_STREAM
const V2_TCP6 = 0x21; // AF_INET6, SOCK_STREAM
const V2_UNSPEC = 0x00;
const V2_TCP4_ADDRESS_BYTES = 12; // 4 + 4 + 2 + 2
const V2_TCP6_ADDRESS_BYTES = 36; // 16 + 16 + 2 + 2

interface Family {
  readonly tcp6: boolean;
  readonly source: Endpoint;
  readonly destination: Endpoint;
}

/**
 * §2.1 wants both addresses in one family: IPv4-mapped addresses are written as IPv4; when one side
 * is really IPv6, the IPv4 side is written IPv4-mapped (as HAProxy does).
 */
function familyOf(addresses: ProxyAddresses): Family | undefined {
  const source = { ip: unmapIpv4(addresses.source.ip), port: addresses.source.port };
  const destination = { ip: unmapIpv4(addresses.destination.ip), port: addresses.destination.port };
  if (!isPort(source.port) || !isPort(destination.port)) return undefined;
  if (ipToBytes(source.ip) === undefined || ipToBytes(destination.ip) === undefined)
    return undefined;
  if (isIPv4(source.ip) && isIPv4(destination.ip)) return { tcp6: false, source, destination };
  const mapped = (end: Endpoint): Endpoint =>
    isIPv4(end.ip) ? { ip: `::ffff:${end.ip}`, port: end.port } : end;
  return { tcp6: true, source: mapped(source), destination: mapped(destination) };
}

/** `PROXY TCP4 …\r\n`; `PROXY UNKNOWN\r\n` when the addresses are unknown or unusable. */
export function encodeProxyHeaderV1(addresses: ProxyAddresses | undefined): Uint8Array {
  const family = addresses && familyOf(addresses);
  if (family === undefined) return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
  const { source, destination } = family;
  const protocol = family.tcp6 ? 'TCP6' : 'TCP4';
  const line = `PROXY ${protocol} ${source.ip} ${destination.ip} ${source.port} ${destination.port}\r\n`;
  return Buffer.from(line, 'latin1');
}

/** The binary header with command PROXY over TCP; command LOCAL when the addresses are unusable. */
export function encodeProxyHeaderV2(addresses: ProxyAddresses | undefined): Uint8Array {
  const family = addresses && familyOf(addresses);
  const addressBytes =
    family === undefined ? 0 : family.tcp6 ? V2_TCP6_ADDRESS_BYTES : V2_TCP4_ADDRESS_BYTES;
  const out = Buffer.alloc(V2_HEADER_BYTES + addressBytes);
  out.set(V2_SIGNATURE, 0);
  if (family === undefined) {
    out[12] = V2_LOCAL;
    out[13] = V2_UNSPEC;
    return out; // length 0, already zero
  }
  out[12] = V2_PROXY;
  out[13] = family.tcp6 ? V2_TCP6 : V2_TCP4;
  out.writeUInt16BE(addressBytes, 14);
  const size = family.tcp6 ? 16 : 4;
  out.set(ipToBytes(family.source.ip) ?? [], V2_HEADER_BYTES);
  out.set(ipToBytes(family.destination.ip) ?? [], V2_HEADER_BYTES + size);
  out.writeUInt16BE(family.source.port, V2_HEADER_BYTES + 2 * size);
  out.writeUInt16BE(family.destination.port, V2_HEADER_BYTES + 2 * size + 2);
  return out;
}

/** Either version, from the first byte: `incomplete` until the whole header is there. */
export function decodeProxyHeader(bytes: Uint8Array): Decoded<ProxyHeader, ProxyHeaderProblem> {
  if (bytes.length === 0) return incomplete(1);
  if (bytes[0] === V2_SIGNATURE[0]) return decodeV2(bytes);
  return decodeV1(bytes);
}

type Result = Decoded<ProxyHeader, ProxyHeaderProblem>;

function decodeV1(bytes: Uint8Array): Result {
  const prefix = Math.min(bytes.length, V1_PREFIX.length);
  if (!Buffer.from(bytes.buffer, bytes.byteOffset, prefix).equals(V1_PREFIX.subarray(0, prefix))) {
    return malformed('proxy.bad-signature', 0);
  }
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, V1_MAX_BYTES));
  const end = view.indexOf('\r\n', 0, 'latin1');
  if (end < 0) {
    return bytes.length >= V1_MAX_BYTES ? malformed('proxy.line-too-long', 0) : incomplete(1);
  }
  return decodeV1Fields(view.toString('latin1', V1_PREFIX.length, end).split(' '), end + 2);
}

function decodeV1Fields(fields: readonly string[], size: number): Result {
  const [protocol, sourceIp = '', destinationIp = '', sourcePort = '', destinationPort = ''] =
    fields;
  if (protocol === 'UNKNOWN') return ok({ version: 1, addresses: undefined }, size);
  if (protocol !== 'TCP4' && protocol !== 'TCP6') return malformed('proxy.bad-family', 6);
  const source = endpoint(sourceIp, sourcePort, protocol);
  const destination = endpoint(destinationIp, destinationPort, protocol);
  if (fields.length !== 5 || source === undefined || destination === undefined) {
    return malformed('proxy.bad-address', 11);
  }
  return ok({ version: 1, addresses: { source, destination } }, size);
}

const V1_PORT = /^(?:0|[1-9]\d{0,4})$/;

function endpoint(ip: string, port: string, protocol: 'TCP4' | 'TCP6'): Endpoint | undefined {
  const bytes = ipToBytes(ip);
  if (bytes === undefined || bytes.length !== (protocol === 'TCP4' ? 4 : 16)) return undefined;
  if (!V1_PORT.test(port) || !isPort(Number(port))) return undefined;
  return { ip: bytesToIp(bytes) ?? ip, port: Number(port) };
}

function decodeV2(bytes: Uint8Array): Result {
  const signature = Math.min(bytes.length, V2_SIGNATURE.length);
  for (let at = 0; at < signature; at++) {
    if (bytes[at] !== V2_SIGNATURE[at]) return malformed('proxy.bad-signature', at);
  }
  if (bytes.length < V2_HEADER_BYTES) return incomplete(V2_HEADER_BYTES - bytes.length);
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const versionCommand = view.readUInt8(12);
  if (versionCommand >> 4 !== 2) return malformed('proxy.bad-version', 12);
  const size = V2_HEADER_BYTES + view.readUInt16BE(14);
  if (bytes.length < size) return incomplete(size - bytes.length);
  if (versionCommand === V2_LOCAL) return ok({ version: 2, addresses: undefined }, size);
  if (versionCommand !== V2_PROXY) return malformed('proxy.bad-command', 12);
  return decodeV2Addresses(view.subarray(0, size));
}

function decodeV2Addresses(header: Buffer): Result {
  const family = header.readUInt8(13);
  const ipBytes = family === V2_TCP4 ? 4 : family === V2_TCP6 ? 16 : 0;
  if (ipBytes === 0) return malformed('proxy.bad-family', 13);
  const at = V2_HEADER_BYTES;
  // §2.2: the length may exceed the address block (TLVs follow); it may not fall short of it.
  if (header.length - at < 2 * ipBytes + 4) return malformed('proxy.bad-address', 14);
  const source = bytesToIp(header.subarray(at, at + ipBytes));
  const destination = bytesToIp(header.subarray(at + ipBytes, at + 2 * ipBytes));
  if (source === undefined || destination === undefined) return malformed('proxy.bad-address', at);
  const ports = at + 2 * ipBytes;
  const addresses = {
    source: { ip: source, port: header.readUInt16BE(ports) },
    destination: { ip: destination, port: header.readUInt16BE(ports + 2) },
  };
  return ok({ version: 2, addresses }, header.length);
}

function isPort(port: number): boolean {
  return Number.isInteger(port) && port >= 0 && port <= 65535;
}
