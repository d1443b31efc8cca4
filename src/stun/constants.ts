// STUN wire constants (RFC 8489 §5, §18; RFC 8656 §18; RFC 5780 §7; RFC 3489 §11): the IANA numbers we use.

export const HEADER_SIZE = 20;
export const MAGIC_COOKIE = 0x2112a442;
/** RFC 8489 §14.7: FINGERPRINT = CRC-32 of the message XOR this value ("STUN"). */
export const FINGERPRINT_XOR = 0x5354554e;

export const StunClass = {
  request: 0b00,
  indication: 0b01,
  success: 0b10,
  error: 0b11,
} as const;
export type StunClass = (typeof StunClass)[keyof typeof StunClass];

export const StunMethod = {
  binding: 0x001,
  allocate: 0x003,
  refresh: 0x004,
  send: 0x006,
  data: 0x007,
  createPermission: 0x008,
  channelBind: 0x009,
  connect: 0x00a,
  connectionBind: 0x00b,
  connectionAttempt: 0x00c,
} as const;

export const Attr = {
  mappedAddress: 0x0001,
  responseAddress: 0x0002,
  changeRequest: 0x0003,
  sourceAddress: 0x0004,
  changedAddress: 0x0005,
  username: 0x0006,
  password: 0x0007,
  messageIntegrity: 0x0008,
  errorCode: 0x0009,
  unknownAttributes: 0x000a,
  reflectedFrom: 0x000b,
  channelNumber: 0x000c,
  lifetime: 0x000d,
  xorPeerAddress: 0x0012,
  data: 0x0013,
  realm: 0x0014,
  nonce: 0x0015,
  xorRelayedAddress: 0x0016,
  requestedAddressFamily: 0x0017,
  evenPort: 0x0018,
  requestedTransport: 0x0019,
  dontFragment: 0x001a,
  accessToken: 0x001b,
  messageIntegritySha256: 0x001c,
  passwordAlgorithm: 0x001d,
  userhash: 0x001e,
  xorMappedAddress: 0x0020,
  reservationToken: 0x0022,
  priority: 0x0024,
  useCandidate: 0x0025,
  padding: 0x0026,
  responsePort: 0x0027,
  connectionId: 0x002a,
  additionalAddressFamily: 0x8000,
  addressErrorCode: 0x8001,
  passwordAlgorithms: 0x8002,
  alternateDomain: 0x8003,
  icmp: 0x8004,
  software: 0x8022,
  alternateServer: 0x8023,
  transactionTransmitCounter: 0x8025,
  cacheTimeout: 0x8027,
  fingerprint: 0x8028,
  iceControlled: 0x8029,
  iceControlling: 0x802a,
  responseOrigin: 0x802b,
  otherAddress: 0x802c,
  thirdPartyAuthorization: 0x802e,
  mobilityTicket: 0x8030,
} as const;

/** RFC 8489 §14: 0x0000-0x7FFF are comprehension-required; an unknown one gets 420. */
export function isComprehensionRequired(type: number): boolean {
  return type < 0x8000;
}

export const ErrorCode = {
  tryAlternate: 300,
  badRequest: 400,
  unauthenticated: 401,
  forbidden: 403,
  mobilityForbidden: 405,
  unknownAttribute: 420,
  allocationMismatch: 437,
  staleNonce: 438,
  addressFamilyNotSupported: 440,
  wrongCredentials: 441,
  unsupportedTransportProtocol: 442,
  peerAddressFamilyMismatch: 443,
  connectionAlreadyExists: 446,
  connectionTimeoutOrFailure: 447,
  allocationQuotaReached: 486,
  roleConflict: 487,
  serverError: 500,
  insufficientCapacity: 508,
} as const;

/** Reason phrases are constants, never built from input (CVE-2026-104074 leaked stack bytes there). */
export const reasonPhrases: ReadonlyMap<number, string> = new Map([
  [300, 'Try Alternate'],
  [400, 'Bad Request'],
  [401, 'Unauthenticated'],
  [403, 'Forbidden'],
  [405, 'Mobility Forbidden'],
  [420, 'Unknown Attribute'],
  [437, 'Allocation Mismatch'],
  [438, 'Stale Nonce'],
  [440, 'Address Family not Supported'],
  [441, 'Wrong Credentials'],
  [442, 'Unsupported Transport Protocol'],
  [443, 'Peer Address Family Mismatch'],
  [446, 'Connection Already Exists'],
  [447, 'Connection Timeout or Failure'],
  [486, 'Allocation Quota Reached'],
  [487, 'Role Conflict'],
  [500, 'Server Error'],
  [508, 'Insufficient Capacity'],
]);
