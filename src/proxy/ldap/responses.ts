// The LDAP answers the proxy writes itself (RFC 4511 §4.1.9 LDAPResult): refusals in the response
// type of the request, the StartTLS answer (§4.14.2) and the Notice of Disconnection (§4.4.1).

import {
  encodeBerElement,
  encodeBerEnumerated,
  encodeBerInteger,
  encodeBerOctetString,
} from '../../codec/ber.ts';
import { LdapOp, NOTICE_OF_DISCONNECTION_OID, START_TLS_OID } from './ops.ts';

const SEQUENCE = 0x30;
/** ExtendedResponse `responseName [10] LDAPOID`. */
const RESPONSE_NAME = 0x8a;

/**
 * `LDAPMessage { messageID, op LDAPResult { resultCode, matchedDN "", diagnosticMessage, … } }`;
 * `extra` follows the LDAPResult's fields (an ExtendedResponse's responseName).
 */
export function encodeLdapResult(
  messageId: number,
  op: number,
  resultCode: number,
  diagnosticMessage: string,
  extra: readonly Uint8Array[] = [],
): Uint8Array {
  return encodeBerElement(SEQUENCE, [
    encodeBerInteger(messageId),
    encodeBerElement(op, [
      encodeBerEnumerated(resultCode),
      encodeBerOctetString(''),
      encodeBerOctetString(diagnosticMessage),
      ...extra,
    ]),
  ]);
}

/** §4.14.2: success, with the StartTLS responseName, under the request's messageID. */
export function encodeStartTlsResponse(messageId: number): Uint8Array {
  return encodeLdapResult(messageId, LdapOp.extendedResponse, 0, '', [
    encodeBerOctetString(START_TLS_OID, RESPONSE_NAME),
  ]);
}

/** §4.4.1: messageID 0, the Notice of Disconnection's responseName; the server then closes. */
export function encodeNoticeOfDisconnection(
  resultCode: number,
  diagnosticMessage: string,
): Uint8Array {
  return encodeLdapResult(0, LdapOp.extendedResponse, resultCode, diagnosticMessage, [
    encodeBerOctetString(NOTICE_OF_DISCONNECTION_OID, RESPONSE_NAME),
  ]);
}
