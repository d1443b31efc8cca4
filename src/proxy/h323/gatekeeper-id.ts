// The innovaphone gatekeeper identifier `[physical-location@]gatekeeper-id[/registration-location]`
// (protocols.md §2.8, ARCHITECTURE.md "Routing keys") and the services it routes to, in order.
//
// - The physical location is the endpoint's business (the PBX reads it); it never routes, and the
//   message is never rewritten.
// - A registration location selects the slave service `gatekeeper-id/location` before the master
//   `gatekeeper-id`.
// - A registration location `primary:secondary` names where the endpoint registers through its
//   primary and through its secondary (standby) gatekeeper. Which of the two it addresses is not
//   in the message: both gatekeepers get the same identifier. The listener knows it (an operator
//   who gives the secondary address its own listener says so with `standbyRole`); by default it
//   is the primary, so the first part applies. The other part never routes.
//
// Anything else is refused rather than guessed: a second `@`, `/` or `:`, an empty part, a `/`
// in the physical location, control, format, separator or surrogate characters.

import type { StandbyRole } from './limits.ts';

export interface GatekeeperId {
  readonly physicalLocation: string | undefined;
  readonly gatekeeper: string;
  /** The registration location in effect (one half of `primary:secondary`), or undefined. */
  readonly registrationLocation: string | undefined;
}

/**
 * Control, format, unassigned and separator characters never appear in names; nor do surrogates,
 * which a BMPString (UCS-2) cannot hold as characters, paired or not.
 */
const FORBIDDEN = /[\p{C}\p{Z}\u{10000}-\u{10FFFF}]/u;

/** RFC 1035-style case-insensitivity, for ASCII only: BMP text is otherwise kept as sent. */
export function asciiLowerCase(text: string): string {
  return text.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
}

function count(text: string, character: string): number {
  return text.split(character).length - 1;
}

/** The registration location in effect, '' when malformed. */
function chooseLocation(location: string, role: StandbyRole): string {
  if (!location.includes(':')) return location;
  const [primary = '', secondary = '', extra] = location.split(':');
  if (extra !== undefined || primary === '' || secondary === '') return '';
  return role === 'primary' ? primary : secondary;
}

/** Only characters names are made of, at most one `@` and one `/`. */
function isWellFormed(text: string): boolean {
  return text !== '' && !FORBIDDEN.test(text) && count(text, '@') <= 1 && count(text, '/') <= 1;
}

/** Parses an identifier; undefined when it does not follow the syntax. */
export function parseGatekeeperId(text: string, role: StandbyRole): GatekeeperId | undefined {
  if (!isWellFormed(text)) return undefined;
  const at = text.indexOf('@');
  const physicalLocation = at < 0 ? undefined : text.slice(0, at);
  const rest = text.slice(at + 1);
  const slash = rest.indexOf('/');
  const gatekeeper = slash < 0 ? rest : rest.slice(0, slash);
  const location = slash < 0 ? undefined : chooseLocation(rest.slice(slash + 1), role);
  // A '/' before the '@' lands in the physical location: which part is which is then unclear.
  if (physicalLocation === '' || physicalLocation?.includes('/') === true) return undefined;
  if (gatekeeper === '' || location === '') return undefined;
  return { physicalLocation, gatekeeper, registrationLocation: location };
}

/** The services to try, most specific first, ASCII lower-cased: `gk/location`, then `gk`. */
export function gatekeeperServices(id: GatekeeperId): string[] {
  const gatekeeper = asciiLowerCase(id.gatekeeper);
  const location = id.registrationLocation;
  return location === undefined
    ? [gatekeeper]
    : [`${gatekeeper}/${asciiLowerCase(location)}`, gatekeeper];
}
