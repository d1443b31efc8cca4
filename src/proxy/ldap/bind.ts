// The protocolOp fields the proxy reads (RFC 4511): BindRequest (§4.2), the requestName of an
// ExtendedRequest (§4.12) and the resultCode of any response (§4.1.9). Each works on a message's
// first bytes too: what lies beyond them is `incomplete`.

import {
  readBerElementHeader,
  readBerEnumerated,
  readBerInteger,
  readBerOctetString,
} from '../../codec/ber.ts';
import { type Decoded, malformed, ok } from '../../codec/decoded.ts';
import { type LdapHead, type LdapProblem, ldapProblem } from './message.ts';

/** AuthenticationChoice (§4.2), with Microsoft's "Sicily" choices (MS-ADTS 5.1.1.1.3). */
export type BindAuthentication = 'simple' | 'sasl' | 'sicily' | 'other';

export interface BindRequest {
  readonly version: number;
  /** The LDAPDN octets (UTF-8 by §4.1.2), a view. */
  readonly name: Uint8Array;
  readonly authentication: BindAuthentication;
  /** Octets of the credentials (a simple bind's password); they may lie beyond a prefix. */
  readonly credentialsLength: number;
}

const AUTHENTICATIONS: ReadonlyMap<number, BindAuthentication> = new Map([
  [0x80, 'simple'], // [0] OCTET STRING
  [0xa3, 'sasl'], // [3] SaslCredentials
  [0x89, 'sicily'], // [9] sicilyPackageDiscovery
  [0x8a, 'sicily'], // [10] sicilyNegotiate
  [0x8b, 'sicily'], // [11] sicilyResponse
]);

/**
 * `BindRequest ::= [APPLICATION 0] SEQUENCE { version INTEGER (1 .. 127), name LDAPDN,
 * authentication AuthenticationChoice }`. The name must be in `bytes`; the credentials need not be.
 */
export function readBindRequest(
  bytes: Uint8Array,
  head: LdapHead,
): Decoded<BindRequest, LdapProblem> {
  const { opStart, opEnd } = head;
  const version = readBerInteger(bytes, opStart, opEnd);
  if (version.kind !== 'ok') return ldapProblem(version);
  const nameAt = opStart + version.size;
  const name = readBerOctetString(bytes, nameAt, opEnd);
  if (name.kind !== 'ok') return ldapProblem(name);
  const authentication = readBerElementHeader(bytes, nameAt + name.size, opEnd);
  if (authentication.kind !== 'ok') return ldapProblem(authentication);
  const { identifier, length, end } = authentication.value;
  // The AuthenticationChoice ends the BindRequest.
  if (end !== opEnd) return malformed('ldap.malformed', end);
  const bind: BindRequest = {
    version: version.value,
    name: name.value,
    authentication: AUTHENTICATIONS.get(identifier) ?? 'other',
    credentialsLength: length,
  };
  return ok(bind, opEnd - opStart);
}

/** `requestName [0] LDAPOID` of an ExtendedRequest, as a view. */
export function readRequestName(
  bytes: Uint8Array,
  head: LdapHead,
): Decoded<Uint8Array, LdapProblem> {
  const name = readBerOctetString(bytes, head.opStart, head.opEnd, 0x80);
  return name.kind === 'ok' ? name : ldapProblem(name);
}

/** The resultCode that opens every LDAPResult (BindResponse, ExtendedResponse, …). */
export function readResultCode(bytes: Uint8Array, head: LdapHead): Decoded<number, LdapProblem> {
  const code = readBerEnumerated(bytes, head.opStart, head.opEnd);
  return code.kind === 'ok' ? code : ldapProblem(code);
}
