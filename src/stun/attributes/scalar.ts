// Fixed-size numeric attributes: RESPONSE-PORT (RFC 5780 §7.5), LIFETIME (RFC 8656 §18.2) and kin.

export type ScalarProblem = 'stun.scalar-length';

/** RESPONSE-PORT: a 16-bit port followed by two bytes of padding (a 4-byte value). */
export function readPort(value: Uint8Array): number | ScalarProblem {
  if (value.length !== 4) return 'stun.scalar-length';
  return ((value[0] ?? 0) << 8) | (value[1] ?? 0);
}

export function writePort(port: number): Uint8Array {
  return new Uint8Array([port >> 8, port & 0xff, 0, 0]);
}

export function readUint32(value: Uint8Array): number | ScalarProblem {
  if (value.length !== 4) return 'stun.scalar-length';
  return (
    (((value[0] ?? 0) << 24) |
      ((value[1] ?? 0) << 16) |
      ((value[2] ?? 0) << 8) |
      (value[3] ?? 0)) >>>
    0
  );
}

export function writeUint32(n: number): Uint8Array {
  return new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}
