// The `proxy:` section: listeners by type, first-message limits, and the services behind the gateway.
import { z } from 'zod';
import { durationSchema } from './duration.ts';
import { cidrSchema, hostSchema, mapping, nonEmptyString, portSchema } from './schema-fields.ts';

/** The standard port of each listener type, used when `proxy.listen` is left out. */
export const DEFAULT_PROXY_LISTEN = {
  http: 80,
  https: 443,
  'sip-tcp': 5060,
  'sip-tls': 5061,
  'h323-tcp': 1720,
  'h323-tls': 1300,
  ldap: 389,
  ldaps: 636,
} as const;

const listenSchema = mapping({
  http: portSchema.optional(),
  https: portSchema.optional(),
  'sip-tcp': portSchema.optional(),
  'sip-tls': portSchema.optional(),
  'h323-tcp': portSchema.optional(),
  'h323-tls': portSchema.optional(),
  ldap: portSchema.optional(),
  ldaps: portSchema.optional(),
}).superRefine((listen, ctx) => {
  const seen = new Map<number, string>();
  for (const [type, port] of Object.entries(listen)) {
    if (port === undefined) continue;
    const first = seen.get(port);
    if (first === undefined) seen.set(port, type);
    else ctx.addIssue({ code: 'custom', path: [type], message: `port ${port} is also ${first}` });
  }
});

// A service's target on one protocol: a plain port, a TLS port, or both (then encryption is kept).
const targetSchema = mapping({ tcp: portSchema.optional(), tls: portSchema.optional() }).refine(
  (target) => target.tcp !== undefined || target.tls !== undefined,
  { error: 'needs a tcp port, a tls port or both' },
);

const portsSchema = mapping({
  h323: targetSchema.optional(),
  sip: targetSchema.optional(),
  ldap: targetSchema.optional(),
  http: targetSchema.optional(),
}).refine((ports) => Object.values(ports).some((target) => target !== undefined), {
  error: 'needs at least one of h323, sip, ldap, http',
});

const allowListSchema = z.array(cidrSchema, { error: 'expected a list of IP addresses or CIDRs' });

const allowSchema = mapping({
  h323: allowListSchema.optional(),
  sip: allowListSchema.optional(),
  ldap: allowListSchema.optional(),
  http: allowListSchema.optional(),
});

const urlPrefixSchema = z
  .string({ error: 'expected a URL path like /PBX0/MY' })
  .refine((path) => path.startsWith('/'), { error: 'a URL path starts with /' });

const serviceSchema = mapping({
  // The routing key: gatekeeper id, SIP domain, HTTP host or LDAP domain.
  name: nonEmptyString,
  host: hostSchema,
  ports: portsSchema,
  // Per request kind; a kind left out admits every client IP.
  allow: allowSchema.prefault({}),
  // HTTP URL prefixes; absent admits every URL.
  urls: z.array(urlPrefixSchema, { error: 'expected a list of URL paths' }).optional(),
  checkCertificate: z.boolean({ error: 'expected true or false' }).default(false),
  proxyProtocol: z.enum(['off', 'v1', 'v2'], { error: 'expected off, v1 or v2' }).default('off'),
});

const MAX_FIRST_MESSAGE_BYTES = 1024 * 1024;

export const proxySchema = mapping({
  // A listener type left out does not run; the whole key left out runs all of them on their standard ports.
  listen: listenSchema.prefault({ ...DEFAULT_PROXY_LISTEN }),
  firstMessageTimeout: durationSchema
    .refine((ms) => ms > 0, { error: 'must be longer than 0' })
    .prefault('10s'),
  maxFirstMessageBytes: z
    .int({ error: 'expected a number of bytes' })
    .min(256, { error: 'must be at least 256' })
    .max(MAX_FIRST_MESSAGE_BYTES, { error: `must be at most ${MAX_FIRST_MESSAGE_BYTES}` })
    .default(65536),
  services: z
    .array(serviceSchema, { error: 'expected a list of services' })
    .default([])
    .superRefine((services, ctx) => {
      const seen = new Map<string, number>();
      services.forEach((service, index) => {
        const name = service.name.toLowerCase();
        const first = seen.get(name);
        if (first === undefined) seen.set(name, index);
        else
          ctx.addIssue({
            code: 'custom',
            path: [index, 'name'],
            message: `service ${JSON.stringify(service.name)} is already proxy.services.${first}`,
          });
      });
    }),
});
