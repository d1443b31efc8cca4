// The `turn:` section: realm, credentials, lifetimes and quotas, relay addresses and ports, peer policy.
import { z } from 'zod';
import { durationSchema } from './duration.ts';
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
  // RFC 6062 TCP allocations (Connect, ConnectionBind); off answers REQUESTED-TRANSPORT TCP with 442.
  tcp: z.boolean({ error: 'expected true or false' }).default(true),
});

const peerListSchema = z.array(cidrSchema, { error: 'expected a list of IP addresses or CIDRs' });

const SECRET_EXPECTED = 'expected a secret, or a list of secrets (the first one mints)';

// One secret, or several while rotating: the first mints, all verify. Always a list once parsed.
const sharedSecretSchema = z
  .union([z.string(), z.array(z.string())], { error: SECRET_EXPECTED })
  .transform((value, ctx): readonly string[] => {
    const secrets = typeof value === 'string' ? [value] : value;
    if (secrets.length === 0)
      ctx.addIssue({ code: 'custom', message: 'needs at least one secret (or leave the key out)' });
    secrets.forEach((secret, index) => {
      if (secret === '')
        ctx.addIssue({
          code: 'custom',
          path: typeof value === 'string' ? [] : [index],
          message: 'must not be empty',
        });
    });
    return secrets;
  });

// LIFETIME (RFC 8656 §18.2) counts whole seconds.
const lifetimeSchema = durationSchema.refine((ms) => ms >= 1000 && ms % 1000 === 0, {
  error: 'must be a whole number of seconds, at least 1s',
});

const DEFAULT_ALLOCATION_LIFETIME_MS = 600_000; // RFC 8656 §7.2: the default lifetime is 10 minutes
const DEFAULT_MAX_ALLOCATION_LIFETIME_MS = 3_600_000; // RFC 8656 §7.2 recommends a one-hour cap

const countSchema = (min: number) =>
  z.int({ error: 'expected a whole number' }).min(min, { error: `must be at least ${min}` });

const turnKeysSchema = mapping({
  realm: nonEmptyString,
  // Long-term credentials (RFC 8489 §9.2).
  accounts: z.array(accountSchema, { error: 'expected a list of { user, password }' }).default([]),
  // REST-style time-limited credentials (draft-uberti-behave-turn-rest) derived from these secrets.
  sharedSecret: sharedSecretSchema.default([]),
  // Granted when a client asks for less (or nothing); left out here so the check below knows
  // whether the user wrote it, and filled in by the transform.
  allocationLifetime: lifetimeSchema.optional(),
  // Granted when a client asks for more.
  maxAllocationLifetime: lifetimeSchema.optional(),
  // RFC 8489 §9.2: the server expires nonces; a request with an older one gets 438 Stale Nonce.
  nonceLifetime: durationSchema
    .refine((ms) => ms >= 1000, { error: 'must be at least 1s' })
    .prefault('10m'),
  // RFC 8656 §7.2: beyond either quota an Allocate gets 486 Allocation Quota Reached.
  maxAllocationsPerUser: countSchema(1).default(10),
  maxAllocations: countSchema(1).default(1000),
  // Bytes relayed per allocation and second, both directions together; 0 is no limit.
  maxBytesPerSecond: countSchema(0).default(0),
  relay: relaySchema.prefault({}),
  // Added to the built-in denial of loopback, private, link-local and other special ranges.
  deniedPeers: peerListSchema.default([]),
  // The only way to relay to a denied range (tests: 127.0.0.1).
  allowedPeers: peerListSchema.default([]),
});

export const turnSchema = turnKeysSchema
  .superRefine((turn, ctx) => {
    if (turn.accounts.length === 0 && turn.sharedSecret.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['accounts'],
        message:
          'turn needs accounts or a sharedSecret: without credentials every allocation is refused',
      });
    }
    checkLifetimes(turn.allocationLifetime, turn.maxAllocationLifetime, ctx);
  })
  .transform(({ allocationLifetime, maxAllocationLifetime, ...turn }) => ({
    ...turn,
    allocationLifetime: allocationLifetime ?? DEFAULT_ALLOCATION_LIFETIME_MS,
    maxAllocationLifetime: maxAllocationLifetime ?? DEFAULT_MAX_ALLOCATION_LIFETIME_MS,
  }));

/** The cap must not be below the default; the problem points at whichever of the two was written. */
function checkLifetimes(
  written: number | undefined,
  writtenMax: number | undefined,
  ctx: z.core.$RefinementCtx,
): void {
  const lifetime = written ?? DEFAULT_ALLOCATION_LIFETIME_MS;
  const max = writtenMax ?? DEFAULT_MAX_ALLOCATION_LIFETIME_MS;
  if (max >= lifetime) return;
  if (writtenMax !== undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['maxAllocationLifetime'],
      message: `must be at least allocationLifetime (${lifetime / 1000}s)`,
    });
  else
    ctx.addIssue({
      code: 'custom',
      path: ['allocationLifetime'],
      message: `must be at most maxAllocationLifetime (${max / 1000}s by default)`,
    });
}

export type TurnConfig = z.output<typeof turnSchema>;
