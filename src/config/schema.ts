// The whole config file as a zod schema: the public key names, each default beside its field.
import { join } from 'node:path';
import { z } from 'zod';
import {
  defaultedSection,
  hostPortSchema,
  mapping,
  nonEmptyString,
  section,
  cidrSchema,
} from './schema-fields.ts';
import {
  type LogicalStunServer,
  STUN_SERVERS_EXAMPLE,
  parseStunServerList,
} from '../nat/server-list.ts';
import { durationSchema } from './duration.ts';
import { proxySchema } from './schema-proxy.ts';
import { stunSchema } from './schema-stun.ts';
import { turnSchema } from './schema-turn.ts';

const adminUserSchema = mapping({
  name: nonEmptyString,
  // `pbxgate hash-password` prints one.
  passwordHash: z
    .string({ error: 'expected a password hash made by pbxgate hash-password' })
    .refine((hash) => hash.startsWith('scrypt:') && hash.length > 'scrypt:'.length, {
      error: 'expected a password hash like scrypt:… (pbxgate hash-password makes one)',
    }),
});

const adminSchema = mapping({
  listen: hostPortSchema.prefault('127.0.0.1:8090'),
  users: z
    .array(adminUserSchema, { error: 'expected a list of { name, passwordHash }' })
    .default([]),
});

const tlsSchema = mapping({
  // Presented to clients, chosen by SNI; the first is the default.
  certificates: z
    .array(mapping({ cert: nonEmptyString, key: nonEmptyString }), {
      error: 'expected a list of { cert, key }',
    })
    .min(1, { error: 'needs at least one { cert, key }' }),
  // CA files for client certificate checks.
  trust: z.array(nonEmptyString, { error: 'expected a list of CA files' }).default([]),
});

export type FraudStore =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'redis'; readonly url: string };

const FRAUD_STORE_EXPECTED = 'expected file:PATH or redis://HOST:PORT';

export function parseFraudStore(text: string): FraudStore | undefined {
  if (text.startsWith('file:')) {
    const path = text.slice('file:'.length);
    return path.length > 0 ? { kind: 'file', path } : undefined;
  }
  try {
    const url = new URL(text);
    const isRedis = url.protocol === 'redis:' || url.protocol === 'rediss:';
    return isRedis && url.hostname !== '' ? { kind: 'redis', url: text } : undefined;
  } catch {
    return undefined;
  }
}

const fraudStoreSchema = z
  .string({ error: FRAUD_STORE_EXPECTED })
  .transform((text, ctx): FraudStore => {
    const store = parseFraudStore(text);
    if (store !== undefined) return store;
    ctx.addIssue({ code: 'custom', message: FRAUD_STORE_EXPECTED });
    return z.NEVER;
  });

const fraudSchema = mapping({
  suspiciousPerMinute: z
    .int({ error: 'expected a whole number' })
    .min(1, { error: 'must be at least 1' })
    .default(10),
  blacklistMinutes: z
    .int({ error: 'expected a whole number of minutes' })
    .min(1, { error: 'must be at least 1' })
    .default(60),
  whitelist: z.array(cidrSchema, { error: 'expected a list of IP addresses or CIDRs' }).default([]),
  // IPv6 clients are tracked and blocked per prefix of this length: one host usually holds a /64.
  ipv6Prefix: z
    .int({ error: 'expected a prefix length from 32 to 128' })
    .min(32, { error: 'expected a prefix length from 32 to 128' })
    .max(128, { error: 'expected a prefix length from 32 to 128' })
    .default(64),
  // Absent: file:<stateDir>/fraud.json (filled in below, once stateDir is known).
  store: fraudStoreSchema.optional(),
});

const natSchema = mapping({
  // Up to two logical servers separated by ';' (nat/server-list.ts reads the rest).
  stunServers: z
    .string({ error: `expected servers like ${STUN_SERVERS_EXAMPLE}` })
    .transform((text, ctx): readonly LogicalStunServer[] => {
      const list = parseStunServerList(text);
      if (list.ok) return list.servers;
      for (const message of list.problems) ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }),
  // How often the NAT type is detected again while pbxgate runs (and once at start).
  interval: durationSchema
    .refine((ms) => ms >= 10_000, { error: 'must be at least 10s' })
    .prefault('10m'),
});

const logSchema = mapping({
  level: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace'], {
      error: 'expected one of fatal, error, warn, info, debug, trace',
    })
    .default('info'),
});

const sectionsSchema = mapping({
  // Where state that outlives a restart is kept (fraud entries, generated keys).
  stateDir: nonEmptyString.default('state'),
  log: defaultedSection(logSchema),
  admin: section(adminSchema),
  tls: section(tlsSchema),
  proxy: section(proxySchema),
  fraud: section(fraudSchema),
  stun: section(stunSchema),
  turn: section(turnSchema),
  nat: section(natSchema),
}).superRefine((config, ctx) => {
  // TURN answers on the STUN listeners (one port set for both, as RFC 8656 §4 allows).
  if (config.turn !== undefined && config.stun === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['turn'],
      message:
        'turn listens on stun.listen: add a stun section (an empty `stun:` takes the defaults)',
    });
  }
});

export const configSchema = defaultedSection(
  sectionsSchema.transform(({ fraud, ...config }) => ({
    ...config,
    ...(fraud && {
      fraud: {
        ...fraud,
        store: fraud.store ?? { kind: 'file' as const, path: join(config.stateDir, 'fraud.json') },
      },
    }),
  })),
);

export type Config = z.output<typeof configSchema>;
