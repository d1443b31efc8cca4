// CHANGE-REQUEST (RFC 5780 §7.2, RFC 3489 §11.2.4): flags A (0x04, change IP) and B (0x02, change port).

export interface ChangeRequest {
  readonly changeIp: boolean;
  readonly changePort: boolean;
}

export type ChangeRequestProblem = 'stun.change-request-length';

export function readChangeRequest(value: Uint8Array): ChangeRequest | ChangeRequestProblem {
  if (value.length !== 4) return 'stun.change-request-length';
  const flags = value[3] ?? 0;
  return { changeIp: (flags & 0x04) !== 0, changePort: (flags & 0x02) !== 0 };
}

export function writeChangeRequest(request: ChangeRequest): Uint8Array {
  return new Uint8Array([0, 0, 0, (request.changeIp ? 0x04 : 0) | (request.changePort ? 0x02 : 0)]);
}
