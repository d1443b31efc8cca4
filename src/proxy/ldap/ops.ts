// LDAP protocolOp identifiers, resultCodes and OIDs the proxy reads or writes (RFC 4511 §4, App. A).

/** The identifier octet of each protocolOp: [APPLICATION n], constructed unless marked primitive. */
export const LdapOp = {
  bindRequest: 0x60,
  bindResponse: 0x61,
  unbindRequest: 0x42, // primitive NULL
  searchRequest: 0x63,
  searchResultEntry: 0x64,
  searchResultDone: 0x65,
  modifyRequest: 0x66,
  modifyResponse: 0x67,
  addRequest: 0x68,
  addResponse: 0x69,
  delRequest: 0x4a, // primitive LDAPDN
  delResponse: 0x6b,
  modDnRequest: 0x6c,
  modDnResponse: 0x6d,
  compareRequest: 0x6e,
  compareResponse: 0x6f,
  abandonRequest: 0x50, // primitive MessageID
  searchResultReference: 0x73,
  extendedRequest: 0x77,
  extendedResponse: 0x78,
  intermediateResponse: 0x79,
} as const;

/** RFC 4511 §4.1.9 and Appendix A.2, the codes used here. */
export const ResultCode = {
  success: 0,
  operationsError: 1,
  protocolError: 2,
  authMethodNotSupported: 7,
  adminLimitExceeded: 11,
  saslBindInProgress: 14,
  invalidDnSyntax: 34,
  inappropriateAuthentication: 48,
  invalidCredentials: 49,
  insufficientAccessRights: 50,
  unavailable: 52,
  unwillingToPerform: 53,
} as const;

export type ResultCode = (typeof ResultCode)[keyof typeof ResultCode];

/** RFC 4511 §4.14.1: the StartTLS extended operation. */
export const START_TLS_OID = '1.3.6.1.4.1.1466.20037';
/** RFC 4511 §4.4.1: the unsolicited Notice of Disconnection (messageID 0). */
export const NOTICE_OF_DISCONNECTION_OID = '1.3.6.1.4.1.1466.20036';

const RESPONSES: ReadonlyMap<number, number> = new Map([
  [LdapOp.bindRequest, LdapOp.bindResponse],
  [LdapOp.searchRequest, LdapOp.searchResultDone],
  [LdapOp.modifyRequest, LdapOp.modifyResponse],
  [LdapOp.addRequest, LdapOp.addResponse],
  [LdapOp.delRequest, LdapOp.delResponse],
  [LdapOp.modDnRequest, LdapOp.modDnResponse],
  [LdapOp.compareRequest, LdapOp.compareResponse],
  [LdapOp.extendedRequest, LdapOp.extendedResponse],
]);

/**
 * The protocolOp that answers the request `op` (a SearchRequest ends with SearchResultDone);
 * 'none' for Unbind and Abandon, which have no response (§4.3, §4.11); undefined for a non-request.
 */
export function responseOpFor(op: number): number | 'none' | undefined {
  if (op === LdapOp.unbindRequest || op === LdapOp.abandonRequest) return 'none';
  return RESPONSES.get(op);
}
