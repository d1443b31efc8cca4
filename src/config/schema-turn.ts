// The `turn:` section: realm, credentials, relay addresses and ports, peer policy.
import { z } from 'zod';
import { cidrSchema, ipSchema, mapping, nonEmptyString } from './schema-fields.ts';

export interface PortRange {
  readonly min: number;
  readonly max: number;
}

const PORT_RANGE = /^([1-9]\d{0,4})-([1-9]\d{0,4})$/;
const PORT_RANGE_EXPECTED = 'expected a port range like 49152-65535';

/** `MIN-MAX`, both 1..65535, MIN <= MAX. */
export function parsePortRange(text: string): PortRange | undefined {
  const match = PORT_RANGE.exec(text);
  if (match === null) return undefined;
  const min = Number(match[1]);
  const max = Number(match[2]);
  return min <= max && max <= 65535 ? { min, max } : undefined;
}

const portRangeSchema = z
  .string({ error: PORT_RANGE_EXPECTED })
  .transform((text, ctx): PortRange => {
    const range = parsePortRange(text);
    if (range !== undefined) return range;
    ctx.addIssue({ code: 'custom', message: `${PORT_RANGE_EXPECTED} (1..65535, low-high)` });
    return z.NEVER;
  });

const accountSchema = mapping({ user: nonEmptyString, password: nonEmptyString });

const relaySchema = mapping({
  // The local address relayed sockets bind to.
  address: ipSchema.default('0.0.0.0'),
  // The public address put in XOR-RELAYED-ADDRESS when the relay sits behind a 1:1 NAT.
  external: ipSchema.optional(),
  // RFC 8656 §7.2: relayed transport addresses come from the dynamic range by default.
  ports: portRangeSchema.prefault('49152-65535'),
});

const peerListSchema = z.array(cidrSchema, { error: 'expected a list of IP addresses or CIDRs' });

export const turnSchema = mapping({
  realm: nonEmptyString,
  // Long-term credentials (RFC 8656 §9.2).
  accounts: z.array(accountSchema, { error: 'expected a list of { user, password }' }).default([]),
  // REST-style time-limited credentials derived from this secret.
  sharedSecret: nonEmptyString.optional(),
  relay: relaySchema.prefault({}),
  // Added to the built-in denial of loopback, private, link-local and other special ranges.
  deniedPeers: peerListSchema.default([]),
  // The only way to relay to a denied range (tests: 127.0.0.1).
  allowedPeers: peerListSchema.default([]),
}).superRefine((turn, ctx) => {
  if (turn.accounts.length === 0 && turn.sharedSecret === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['accounts'],
      message:
        'turn needs accounts or a sharedSecret: without credentials every allocation is refused',
    });
  }
});
