// The `stun:` section: listeners, the RFC 5780 alternate address, SOFTWARE.
import { z } from 'zod';
import {
  canonicalIp,
  formatListenUrl,
  ipLiteralFamily,
  isWildcardAddress,
  parseListenUrl,
  type ListenUrl,
} from '../net/listen-url.ts';
import { ipSchema, mapping, portSchema } from './schema-fields.ts';

export const listenUrlSchema = z
  .string({ error: 'expected a listen URL like udp://0.0.0.0:3478' })
  .transform((text, ctx): ListenUrl => {
    const parsed = parseListenUrl(text);
    if (!('error' in parsed)) return parsed;
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  });

export const DEFAULT_STUN_LISTEN = [
  'udp://0.0.0.0:3478',
  'tcp://0.0.0.0:3478',
  'tls://0.0.0.0:5349',
] as const;

// RFC 8489 §14.14: SOFTWARE MUST be fewer than 128 characters.
const MAX_SOFTWARE_CHARACTERS = 127;

export const stunSchema = mapping({
  listen: z
    .array(listenUrlSchema, { error: 'expected a list of listen URLs' })
    .min(1, { error: 'needs at least one listen URL (or leave out the stun section)' })
    .prefault([...DEFAULT_STUN_LISTEN]),
  // RFC 5780 §4.1: the second IP address and port that OTHER-ADDRESS names and CHANGE-REQUEST uses.
  alternate: mapping({ address: ipSchema, port: portSchema }).optional(),
  // Absent: responses carry no SOFTWARE attribute (RFC 8489 §16.1.2 lets a server leave it out).
  software: z
    .string({ error: 'expected a text value' })
    .min(1, { error: 'must not be empty (leave the key out to send no SOFTWARE attribute)' })
    .refine((text) => Array.from(text).length <= MAX_SOFTWARE_CHARACTERS, {
      error: `must be fewer than ${MAX_SOFTWARE_CHARACTERS + 1} characters (RFC 8489 §14.14)`,
    })
    .optional(),
}).superRefine((stun, ctx) => {
  checkDuplicateListeners(stun.listen, ctx);
  if (stun.alternate !== undefined) checkAlternate(stun.listen, stun.alternate, ctx);
});

type StunSection = z.output<typeof stunSchema>;
type Issues = z.core.$RefinementCtx;

// udp and tcp may share a port; tcp and tls are both TCP sockets and may not.
function socketKey(url: ListenUrl): string {
  return `${url.transport === 'udp' ? 'udp' : 'tcp'} ${canonicalIp(url.host)} ${url.port}`;
}

function checkDuplicateListeners(listen: readonly ListenUrl[], ctx: Issues): void {
  const seen = new Map<string, number>();
  listen.forEach((url, index) => {
    const key = socketKey(url);
    const first = seen.get(key);
    if (first === undefined) seen.set(key, index);
    else
      ctx.addIssue({
        code: 'custom',
        path: ['listen', index],
        message: `${formatListenUrl(url)} binds the same socket as stun.listen.${first}`,
      });
  });
}

/**
 * RFC 5780 §4.1 / RFC 3489 §8.1: a server with an alternate address answers from four address:port
 * pairs and names them in OTHER-ADDRESS and RESPONSE-ORIGIN, so each udp listener must be one
 * specific address, and the alternate must differ from it in both address and port.
 */
function checkAlternate(
  listen: StunSection['listen'],
  alternate: NonNullable<StunSection['alternate']>,
  ctx: Issues,
): void {
  const udp = listen.flatMap((url, index) => (url.transport === 'udp' ? [{ url, index }] : []));
  for (const { url, index } of udp) {
    if (isWildcardAddress(url.host)) {
      ctx.addIssue({
        code: 'custom',
        path: ['listen', index],
        message: `with stun.alternate set, every udp listener needs a specific address instead of ${url.host}, because RFC 5780 responses name the address they were sent from`,
      });
    }
  }
  if (isWildcardAddress(alternate.address)) {
    ctx.addIssue({
      code: 'custom',
      path: ['alternate', 'address'],
      message: `must be a specific address, not ${alternate.address}`,
    });
    return;
  }
  if (udp.length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['alternate'],
      message: 'needs a udp listener in stun.listen: RFC 5780 behaviour discovery runs over UDP',
    });
    return;
  }
  const family = ipLiteralFamily(alternate.address);
  const primary = udp.find(({ url }) => ipLiteralFamily(url.host) === family);
  if (primary === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['alternate', 'address'],
      message: `must be of the same family as a udp listener, but stun.listen has no IPv${family ?? '?'} udp listener`,
    });
    return;
  }
  const primaryName = `udp listener ${formatListenUrl(primary.url)} (stun.listen.${primary.index})`;
  if (canonicalIp(alternate.address) === canonicalIp(primary.url.host)) {
    ctx.addIssue({
      code: 'custom',
      path: ['alternate', 'address'],
      message: `must differ from the address of the ${primaryName}`,
    });
  }
  if (alternate.port === primary.url.port) {
    ctx.addIssue({
      code: 'custom',
      path: ['alternate', 'port'],
      message: `must differ from the port of the ${primaryName}`,
    });
  }
}
