// The result type shared by every codec, framer and sniffer: bad bytes are a value, never an exception.

export type Decoded<T, Reason extends string> =
  | { readonly kind: 'ok'; readonly value: T; readonly size: number }
  | { readonly kind: 'incomplete'; readonly needed: number }
  | { readonly kind: 'malformed'; readonly reason: Reason; readonly offset: number };

export type Ok<T> = { readonly kind: 'ok'; readonly value: T; readonly size: number };
export type Incomplete = { readonly kind: 'incomplete'; readonly needed: number };
export type Malformed<Reason extends string> = {
  readonly kind: 'malformed';
  readonly reason: Reason;
  readonly offset: number;
};

export function ok<T>(value: T, size: number): Ok<T> {
  return { kind: 'ok', value, size };
}

export function incomplete(needed: number): Incomplete {
  return { kind: 'incomplete', needed };
}

export function malformed<Reason extends string>(
  reason: Reason,
  offset: number,
): Malformed<Reason> {
  return { kind: 'malformed', reason, offset };
}
