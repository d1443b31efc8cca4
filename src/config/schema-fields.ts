// Building blocks shared by the config sections: strict mappings, optional sections, ports, IPs, CIDRs.
import { z } from 'zod';
import { ipLiteralFamily, parseHostPort, type HostPort } from '../net/listen-url.ts';

/**
 * Joins the per-key messages of one zod `unrecognized_keys` issue, in the order of its `keys`;
 * load.ts splits them again so each unknown key becomes its own problem at its own line.
 */
export const UNKNOWN_KEY_MESSAGE_SEPARATOR = '\n';

/** A YAML mapping with exactly the keys of `shape`: a typo is an error that names the near miss. */
export function mapping<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') {
        return issue.keys
          .map((key) => unknownKeyMessage(key, known))
          .join(UNKNOWN_KEY_MESSAGE_SEPARATOR);
      }
      return 'expected a mapping (key: value)'; // the one other issue a strict object raises: invalid_type
    },
  });
}

/**
 * A top-level section: absent means the part does not run; present but empty (`stun:` alone,
 * which YAML reads as null) means the part runs with every default.
 */
export function section<Schema extends z.ZodType>(schema: Schema) {
  return z.preprocess((value) => (value === null ? {} : value), schema).optional();
}

function unknownKeyMessage(key: string, known: readonly string[]): string {
  const near = nearestKey(key, known);
  return near === undefined
    ? `unknown key; expected one of: ${known.join(', ')}`
    : `unknown key (did you mean ${near}?)`;
}

function nearestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  // One typo in a short key, up to three in a long one: `lstn` is not a near miss of `listen`.
  let bestDistance = (key.length <= 4 ? 1 : key.length <= 8 ? 2 : 3) + 1;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return Infinity; // beyond any limit above; skips long keys
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? Infinity;
}

export const nonEmptyString = z
  .string({ error: 'expected a text value' })
  .min(1, { error: 'must not be empty' });

const PORT_EXPECTED = 'expected a port number from 1 to 65535';

export const portSchema = z
  .int({ error: PORT_EXPECTED })
  .min(1, { error: PORT_EXPECTED })
  .max(65535, { error: PORT_EXPECTED });

const IP_EXPECTED =
  'expected an IP address like 192.0.2.1 or 2001:db8::1 (no host names, no short forms like 127.1)';

export const ipSchema = z
  .string({ error: IP_EXPECTED })
  .refine((text) => ipLiteralFamily(text) !== undefined, { error: IP_EXPECTED });

const CIDR_EXPECTED = 'expected an IP address or a CIDR like 198.51.100.0/24 or 2001:db8::/32';
const PREFIX = /^(?:0|[1-9]\d{0,2})$/;

/** `IP` or `IP/prefix` with the prefix in range for the family; kept as written. */
export function isCidr(text: string): boolean {
  const slash = text.indexOf('/');
  const family = ipLiteralFamily(slash < 0 ? text : text.slice(0, slash));
  if (family === undefined) return false;
  if (slash < 0) return true;
  const prefix = text.slice(slash + 1);
  return PREFIX.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

export const cidrSchema = z
  .string({ error: CIDR_EXPECTED })
  .refine(isCidr, { error: CIDR_EXPECTED });

/** `IP:port` or `[IPv6]:port` -> `{ host, port }`. */
export const hostPortSchema = z
  .string({ error: 'expected an address like 127.0.0.1:8090 or [::1]:8090' })
  .transform((text, ctx): HostPort => {
    const parsed = parseHostPort(text);
    if (!('error' in parsed)) return parsed;
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  });

// RFC 1123 §2.1 labels; a name whose last label is all digits must be a valid IPv4 address instead.
const HOST_NAME =
  /^(?=.{1,253}\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;
const NUMERIC_LAST_LABEL = /(?:^|\.)\d+\.?$/;

const HOST_EXPECTED = 'expected an IP address or a DNS name like pbx.example.com';

export function isHost(text: string): boolean {
  if (ipLiteralFamily(text) !== undefined) return true;
  return HOST_NAME.test(text) && !NUMERIC_LAST_LABEL.test(text);
}

export const hostSchema = z
  .string({ error: HOST_EXPECTED })
  .refine(isHost, { error: HOST_EXPECTED });

/** A section that is always there: absent or empty means every default. */
export function defaultedSection<Schema extends z.ZodType>(schema: Schema) {
  return z.preprocess((value) => value ?? {}, schema);
}
