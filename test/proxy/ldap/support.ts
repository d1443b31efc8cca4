// LDAP test vectors and helpers: a tiny BER builder of its own (so that vectors do not come from the
// code under test), the first messages of protocols.md §4, and a reader for the proxy's answers.

import {
  readBerElementHeader,
  readBerEnumerated,
  readBerInteger,
  readBerOctetString,
} from '../../../src/codec/ber.ts';
import type { WatchContext } from '../../../src/proxy/protocol.ts';

export function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

type Part = Uint8Array | string;

function concat(parts: readonly Part[]): Buffer {
  return Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : part)));
}

/** One element with a minimal definite length. */
export function tlv(identifier: number, ...parts: Part[]): Buffer {
  const contents = concat(parts);
  const n = contents.length;
  let length: number[];
  if (n < 0x80) length = [n];
  else if (n < 0x100) length = [0x81, n];
  else if (n < 0x10000) length = [0x82, n >> 8, n & 0xff];
  else length = [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.from([identifier, ...length]), contents]);
}

/** One element with a four-octet length, as Windows clients write them. */
export function tlv4(identifier: number, ...parts: Part[]): Buffer {
  const contents = concat(parts);
  const header = Buffer.alloc(6);
  header[0] = identifier;
  header[1] = 0x84;
  header.writeUInt32BE(contents.length, 2);
  return Buffer.concat([header, contents]);
}

export function int(value: number, identifier = 0x02): Buffer {
  const octets: number[] = [];
  let v = value;
  do {
    octets.unshift(v & 0xff);
    v >>= 8;
  } while (v !== 0 && v !== -1);
  if (value >= 0 && (octets[0] ?? 0) >= 0x80) octets.unshift(0);
  if (value < 0 && (octets[0] ?? 0) < 0x80) octets.unshift(0xff);
  return tlv(identifier, Buffer.from(octets));
}

export function message(messageId: number, op: Buffer, ...controls: Buffer[]): Buffer {
  return tlv(0x30, int(messageId), op, ...controls);
}

export function simpleBind(messageId: number, name: string, password: string, version = 3): Buffer {
  return message(messageId, tlv(0x60, int(version), tlv(0x04, name), tlv(0x80, password)));
}

export const START_TLS_OID = '1.3.6.1.4.1.1466.20037';

/** protocols.md §4.1 and the brief: each with what the sniffer must say. */
export const vectors = {
  /** `30 2c 02 01 01 60 27 02 01 03 04 1a "cn=admin,dc=example,dc=com" 80 06 "secret"`. */
  simpleBind: hex(
    '302c020101 6027 020103 041a' +
      Buffer.from('cn=admin,dc=example,dc=com').toString('hex') +
      '8006' +
      Buffer.from('secret').toString('hex'),
  ),
  /** protocols.md §8: `innovaphone\alice` / `secret`. */
  innovaphoneBind: hex(
    '3023020101601e0201030411696e6e6f766170686f6e655c616c6963658006736563726574',
  ),
  /** Windows: every length in four octets (`30 84 00 00 00 4a 02 01 41 60 84 00 00 00 41 …`). */
  windowsBind: tlv4(
    0x30,
    hex('020141'),
    tlv4(
      0x60,
      hex('020103'),
      tlv4(0x04, 'cn=admin,dc=corp,dc=example,dc=com'),
      tlv4(0x80, 'P@ssw0rd-P@ssw0r'),
    ),
  ),
  /** protocols.md §4.1: `30 1d 02 01 01 77 18 80 16 "1.3.6.1.4.1.1466.20037"`. */
  startTls: hex('301d020101771880 16' + Buffer.from(START_TLS_OID).toString('hex')),
  /** `ldapsearch -x`: empty name, empty password. */
  anonymousBind: hex('300c020101600702010304008000'),
  /** SASL DIGEST-MD5, first leg: empty name, [3] { mechanism }. */
  saslBind: hex('3018020101601302010304 00 a30c040a' + Buffer.from('DIGEST-MD5').toString('hex')),
  /** Sicily package discovery ([9], MS-ADTS 5.1.1.1.3). */
  sicilyBind: hex('300c020101600702010304008900'),
  /** A rootDSE search before any bind: base "", baseObject, (objectClass=*). */
  searchBeforeBind: hex(
    '3025020101632004000a01000a0100020100020100010100870b' +
      Buffer.from('objectclass').toString('hex') +
      '3000',
  ),
  unbind: hex('3005020103 4200'),
  /** The same bind as simpleBind with indefinite lengths (forbidden by RFC 4511 §5.1). */
  indefiniteBind: hex(
    '3080020101 6080 020103 041a' +
      Buffer.from('cn=admin,dc=example,dc=com').toString('hex') +
      '8006' +
      Buffer.from('secret').toString('hex') +
      '0000 0000',
  ),
} as const;

export interface Answer {
  readonly messageId: number;
  readonly op: number;
  readonly resultCode: number;
  readonly matchedDn: string;
  readonly diagnostic: string;
  readonly responseName: string | undefined;
  readonly size: number;
}

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString();
}

/** LDAPResult's fields from `at` to `end`, and an ExtendedResponse's responseName if present. */
function readResult(
  bytes: Uint8Array,
  at: number,
  end: number,
): Pick<Answer, 'resultCode' | 'matchedDn' | 'diagnostic' | 'responseName'> | undefined {
  const code = readBerEnumerated(bytes, at, end);
  if (code.kind !== 'ok') return undefined;
  const matched = readBerOctetString(bytes, at + code.size, end);
  if (matched.kind !== 'ok') return undefined;
  const diagnostic = readBerOctetString(bytes, at + code.size + matched.size, end);
  if (diagnostic.kind !== 'ok') return undefined;
  const nameAt = at + code.size + matched.size + diagnostic.size;
  const name = nameAt < end ? readBerOctetString(bytes, nameAt, end, 0x8a) : undefined;
  if (name !== undefined && (name.kind !== 'ok' || nameAt + name.size !== end)) return undefined;
  return {
    resultCode: code.value,
    matchedDn: text(matched.value),
    diagnostic: text(diagnostic.value),
    responseName: name?.kind === 'ok' ? text(name.value) : undefined,
  };
}

/** Reads an LDAPResult-shaped response (BindResponse, SearchResultDone, ExtendedResponse, …). */
export function readAnswer(bytes: Uint8Array): Answer | undefined {
  const outer = readBerElementHeader(bytes, 0, bytes.length);
  if (outer.kind !== 'ok' || outer.value.identifier !== 0x30) return undefined;
  const { contentStart, end } = outer.value;
  const id = readBerInteger(bytes, contentStart, end);
  if (id.kind !== 'ok') return undefined;
  const op = readBerElementHeader(bytes, contentStart + id.size, end);
  if (op.kind !== 'ok' || op.value.end !== end) return undefined;
  const result = readResult(bytes, op.value.contentStart, end);
  if (result === undefined) return undefined;
  return { messageId: id.value, op: op.value.identifier, ...result, size: end };
}

export interface FakeContext extends WatchContext {
  readonly events: string[];
}

export function watchContext(service: string): FakeContext {
  const events: string[] = [];
  return {
    service,
    remoteIp: '192.0.2.1',
    events,
    suspicious: (reason) => {
      events.push(reason);
    },
  };
}

/** A server's LDAPResult-shaped response to `messageId`. */
export function response(
  messageId: number,
  op: number,
  resultCode: number,
  diagnostic = '',
): Buffer {
  return message(messageId, tlv(op, int(resultCode, 0x0a), tlv(0x04), tlv(0x04, diagnostic)));
}
