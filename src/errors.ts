// The one error class for operational and usage failures, with a stable code (undici's UND_ERR_* shape).

export type PbxgateErrorCode =
  | 'PBX_ERR_CONFIG'
  | 'PBX_ERR_LISTEN'
  | 'PBX_ERR_TLS'
  | 'PBX_ERR_USAGE'
  | 'PBX_ERR_STUN_TIMEOUT'
  | 'PBX_ERR_STUN_RESPONSE';

export class PbxgateError extends Error {
  readonly code: PbxgateErrorCode;

  constructor(code: PbxgateErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PbxgateError';
    this.code = code;
  }
}
