// The LDAP plug-in's size limits: the first message, and the bind name every bind is judged by.

export interface LdapLimits {
  /** The first message's cap (a BER length over it is refused at once). */
  readonly maxMessageBytes: number;
  /** A longer bind name is refused, first or later; it also sizes the watcher's look-ahead. */
  readonly maxBindNameBytes: number;
}

/** ARCHITECTURE.md's `maxFirstMessageBytes` default; SASL/Kerberos binds reach several KiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;
/** DNs are short in practice (AD caps an RDN value at 64 characters); 2 KiB leaves room. */
export const DEFAULT_MAX_BIND_NAME_BYTES = 2048;
/**
 * Octets before a bind's credentials besides the name: message, messageID, op, version and name
 * headers and the AuthenticationChoice's header come to 44 at most, even in 4-octet length forms.
 */
export const BIND_HEAD_MARGIN = 64;
/** The watcher buffers this much of each client message at most, so the cap stays modest. */
const MAX_BIND_NAME_BYTES = 64 * 1024;

function positive(value: number | undefined, fallback: number, max: number): number {
  return value !== undefined && Number.isSafeInteger(value) && value > 0
    ? Math.min(value, max)
    : fallback;
}

/** The limits with defaults filled in; values that are not positive integers fall back to them. */
export function resolveLdapLimits(options: {
  readonly maxMessageBytes?: number | undefined;
  readonly maxBindNameBytes?: number | undefined;
}): LdapLimits {
  return {
    maxMessageBytes: positive(
      options.maxMessageBytes,
      DEFAULT_MAX_MESSAGE_BYTES,
      Number.MAX_SAFE_INTEGER,
    ),
    maxBindNameBytes: positive(
      options.maxBindNameBytes,
      DEFAULT_MAX_BIND_NAME_BYTES,
      MAX_BIND_NAME_BYTES,
    ),
  };
}
