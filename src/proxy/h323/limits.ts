// Caps of the H.323 plug-in: how large a message may be, how many items a list and how deep the
// generic data may nest, and which half of a `primary:secondary` registration location applies.

/**
 * A `/primary:secondary` registration location names the location an endpoint registers at
 * through its primary and through its secondary (standby) gatekeeper. The bytes do not say which
 * gatekeeper address the endpoint dialled, so the listener does: by default it is the primary's.
 */
export type StandbyRole = 'primary' | 'secondary';

export interface H323ProtocolOptions {
  /** The first message's cap (TPKT header included); default 65535 (give it `proxy.maxFirstMessageBytes`). */
  readonly maxFirstMessageBytes?: number;
  /**
   * A later TPKT from the client above this is refused, one from the server skipped unread; the
   * watcher buffers at most one such frame per direction. Default and maximum 65535 (RFC 1006 §6).
   */
  readonly maxMessageBytes?: number;
  /** Items of one list (aliases, addresses, generic parameters); default 256. */
  readonly maxItems?: number;
  /** Which half of `location:location` applies to endpoints of this listener; default primary. */
  readonly standbyRole?: StandbyRole;
}

export interface H323Limits {
  readonly maxFirstMessageBytes: number;
  readonly maxMessageBytes: number;
  readonly maxItems: number;
  /** Nesting of GenericData inside Content (compound, nested); fixed. */
  readonly maxDepth: number;
  readonly standbyRole: StandbyRole;
}

/** RFC 1006 §6: the 16-bit TPKT length counts its own 4 octets. */
export const TPKT_MAX = 65535;
const MAX_DEPTH = 8;

function clamp(value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.floor(value)));
}

export function resolveH323Limits(options: H323ProtocolOptions = {}): H323Limits {
  return {
    maxFirstMessageBytes: clamp(options.maxFirstMessageBytes, TPKT_MAX, 9, TPKT_MAX),
    maxMessageBytes: clamp(options.maxMessageBytes, TPKT_MAX, 9, TPKT_MAX),
    maxItems: clamp(options.maxItems, 256, 1, 16383),
    maxDepth: MAX_DEPTH,
    standbyRole: options.standbyRole === 'secondary' ? 'secondary' : 'primary',
  };
}
