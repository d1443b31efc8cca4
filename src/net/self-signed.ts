// A self-signed ECDSA P-256 server certificate (RFC 5280 profile), built with der.ts and node:crypto.

import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';
import { PbxgateError } from '../errors.ts';
import {
  writeDerBitString,
  writeDerBoolean,
  writeDerExplicit,
  writeDerImplicit,
  writeDerIa5String,
  writeDerInteger,
  writeDerOctetString,
  writeDerOid,
  writeDerSequence,
  writeDerSet,
  writeDerTime,
  writeDerUtf8String,
} from './der.ts';

export interface SelfSignedOptions {
  readonly commonName: string;
  /** DNS names (a leading `*.` is allowed) and IPv4/IPv6 literals. */
  readonly altNames: readonly string[];
  readonly days: number;
  readonly now?: Date;
}

export interface SelfSignedCertificate {
  readonly certPem: string;
  /** PKCS #8 (`BEGIN PRIVATE KEY`). */
  readonly keyPem: string;
}

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2', // RFC 5758 §3.2
  commonName: '2.5.4.3',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

// RFC 5280 Appendix A: ub-common-name INTEGER ::= 64.
const MAX_COMMON_NAME_LENGTH = 64;
// Backdated so that a client whose clock is a little behind accepts the certificate at once.
const BACKDATE_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const DNS_NAME =
  /^(\*\.)?[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/i;

export function createSelfSignedCertificate(opts: SelfSignedOptions): SelfSignedCertificate {
  const { commonName, altNames, days } = opts;
  if (commonName.length === 0 || commonName.length > MAX_COMMON_NAME_LENGTH) {
    throw new PbxgateError('PBX_ERR_TLS', `certificate common name must have 1..64 characters`);
  }
  if (!Number.isFinite(days) || days <= 0) {
    throw new PbxgateError('PBX_ERR_TLS', `certificate validity must be a positive number of days`);
  }
  const now = (opts.now ?? new Date()).getTime();
  const notBefore = new Date(Math.floor((now - BACKDATE_MS) / 1000) * 1000);
  const notAfter = new Date(Math.floor((now + days * DAY_MS) / 1000) * 1000);

  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const signatureAlgorithm = writeDerSequence([writeDerOid(OID.ecdsaWithSha256)]); // no parameters
  const name = writeDerSequence([
    writeDerSet([writeDerSequence([writeDerOid(OID.commonName), writeDerUtf8String(commonName)])]),
  ]);
  const tbs = writeDerSequence([
    writeDerExplicit(0, writeDerInteger(2n)), // v3
    writeDerInteger(serialNumber()),
    signatureAlgorithm,
    name,
    writeDerSequence([writeDerTime(notBefore), writeDerTime(notAfter)]),
    name,
    spki,
    writeDerExplicit(3, writeDerSequence(extensions(altNames, spki))),
  ]);
  const signature = sign('sha256', tbs, privateKey); // DER Ecdsa-Sig-Value (RFC 5480 §2.2)
  const certificate = writeDerSequence([tbs, signatureAlgorithm, writeDerBitString(signature)]);
  return {
    certPem: toPem('CERTIFICATE', certificate),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** RFC 5280 §4.1.2.2: positive, at most 20 octets; 0x40 keeps it 16 octets and non-zero. */
function serialNumber(): Buffer {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes;
}

function extensions(altNames: readonly string[], spki: Buffer): Buffer[] {
  const list = [
    // RFC 5280 §4.2.1.9: cA defaults to FALSE, and DER omits a DEFAULT value: an empty SEQUENCE.
    extension(OID.basicConstraints, true, writeDerSequence([])),
    // §4.2.1.3: digitalSignature is bit 0; DER drops the 7 trailing zero bits.
    extension(OID.keyUsage, true, writeDerBitString(Buffer.of(0x80), 7)),
    extension(OID.extKeyUsage, false, writeDerSequence([writeDerOid(OID.serverAuth)])),
    // §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING value.
    extension(OID.subjectKeyIdentifier, false, writeDerOctetString(keyIdentifier(spki))),
  ];
  if (altNames.length > 0) {
    list.push(extension(OID.subjectAltName, false, writeDerSequence(altNames.map(generalName))));
  }
  return list;
}

function extension(oid: string, isCritical: boolean, value: Buffer): Buffer {
  // §4.1: critical BOOLEAN DEFAULT FALSE, so FALSE is left out.
  const critical = isCritical ? [writeDerBoolean(true)] : [];
  return writeDerSequence([writeDerOid(oid), ...critical, writeDerOctetString(value)]);
}

function keyIdentifier(spki: Buffer): Buffer {
  // SubjectPublicKeyInfo = SEQ { AlgorithmIdentifier, BIT STRING }: the BIT STRING is last; for
  // P-256 its value is the 65-octet uncompressed point after a zero unused-bits octet.
  const point = spki.subarray(spki.length - 65);
  return createHash('sha1').update(point).digest();
}

/** RFC 5280 §4.2.1.6: dNSName [2] IA5String, iPAddress [7] OCTET STRING (4 or 16 octets). */
function generalName(altName: string): Buffer {
  const family = isIP(altName);
  if (family === 4) return writeDerImplicit(7, writeDerOctetString(ipv4Bytes(altName)));
  if (family === 6) return writeDerImplicit(7, writeDerOctetString(ipv6Bytes(altName)));
  if (!DNS_NAME.test(altName) || altName.length > 253) {
    throw new PbxgateError(
      'PBX_ERR_TLS',
      `not a DNS name or IP address: ${JSON.stringify(altName)}`,
    );
  }
  return writeDerImplicit(2, writeDerIa5String(altName.toLowerCase()));
}

function ipv4Bytes(text: string): Buffer {
  return Buffer.from(text.split('.').map(Number));
}

function ipv6Bytes(text: string): Buffer {
  if (text.includes('%')) {
    throw new PbxgateError('PBX_ERR_TLS', `an IPv6 zone cannot go in a certificate: ${text}`);
  }
  const groups = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!group.includes('.')) return [parseInt(group, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = ipv4Bytes(group);
          return [(a << 8) | b, (c << 8) | d];
        });
  const [head = '', tail] = text.split('::');
  const before = groups(head);
  const after = tail === undefined ? [] : groups(tail);
  const all = [...before, ...new Array<number>(8 - before.length - after.length).fill(0), ...after];
  const bytes = Buffer.alloc(16);
  all.forEach((group, at) => bytes.writeUInt16BE(group, at * 2));
  return bytes;
}

function toPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
