// The `proxy:` section: listeners by type, first-message limits, and the services behind the gateway.
import { z } from 'zod';
import { durationSchema } from './duration.ts';
import { canonicalIp, isWildcardAddress, parseHostPort, type HostPort } from '../net/listen-url.ts';
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

/** A listener address: a bare port listens on every address (`::`, dual-stack); else `IP:port`. */
export type ProxyListenAddress = number | HostPort;

const LISTEN_EXPECTED =
  'expected a port number from 1 to 65535, or an address like 127.0.0.1:5060 or [::1]:5060';

const listenAddressSchema = z
  .union([z.number(), z.string()], { error: LISTEN_EXPECTED })
  .transform((value, ctx): ProxyListenAddress => {
    if (typeof value === 'number') {
      if (portSchema.safeParse(value).success) return value;
      ctx.addIssue({ code: 'custom', message: LISTEN_EXPECTED });
      return z.NEVER;
    }
    const parsed = parseHostPort(value);
    if (!('error' in parsed)) return parsed;
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  });

/** Where a `proxy.listen` value listens: a bare port on `::`, which also takes IPv4 clients. */
export function proxyListenHostPort(address: ProxyListenAddress): HostPort {
  return typeof address === 'number' ? { host: '::', port: address } : address;
}

/** Two listeners collide on the same port when either takes every address or both name the same one. */
function listenersCollide(a: HostPort, b: HostPort): boolean {
  if (a.port !== b.port) return false;
  if (isWildcardAddress(a.host) || isWildcardAddress(b.host)) return true;
  return canonicalIp(a.host) === canonicalIp(b.host);
}

const listenSchema = mapping({
  http: listenAddressSchema.optional(),
  https: listenAddressSchema.optional(),
  'sip-tcp': listenAddressSchema.optional(),
  'sip-tls': listenAddressSchema.optional(),
  'h323-tcp': listenAddressSchema.optional(),
  'h323-tls': listenAddressSchema.optional(),
  ldap: listenAddressSchema.optional(),
  ldaps: listenAddressSchema.optional(),
}).superRefine((listen, ctx) => {
  const seen: { type: string; address: HostPort }[] = [];
  for (const [type, value] of Object.entries(listen)) {
    if (value === undefined) continue;
    const address = proxyListenHostPort(value);
    const first = seen.find((other) => listenersCollide(other.address, address));
    if (first === undefined) seen.push({ type, address });
    else
      ctx.addIssue({
        code: 'custom',
        path: [type],
        message: `port ${address.port} is also ${first.type}`,
      });
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
  // Per client IP, connections accepted but not yet routed (TLS handshake, first message).
  maxPendingPerIp: z
    .int({ error: 'expected a whole number' })
    .min(1, { error: 'must be at least 1' })
    .default(16),
  // Time allowed to open the backend connection (TCP connect and, to a TLS port, the handshake).
  connectTimeout: durationSchema
    .refine((ms) => ms > 0, { error: 'must be longer than 0' })
    .prefault('5s'),
  // Clients (other proxies, load balancers) whose X-Forwarded-For and Forwarded are kept and
  // extended; every other client's are replaced by its own address.
  trustedProxies: z
    .array(cidrSchema, { error: 'expected a list of IP addresses or CIDRs' })
    .default([]),
  // A relayed connection with no byte in either direction for this long is closed.
  idleTimeout: durationSchema
    .refine((ms) => ms > 0, { error: 'must be longer than 0' })
    .prefault('1h'),
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

export type ProxyConfig = z.output<typeof proxySchema>;
export type ProxyServiceConfig = ProxyConfig['services'][number];
