// Where one whole call-signalling message routes (ARCHITECTURE.md "Routing keys"): a FACILITY
// carrying H.460.17 tunnelled GRQ/RRQ by its gatekeeper identifier, a SETUP by the domain of its
// called party. Anything else, or anything that does not decode, is refused with a reason.

import type { Alias } from './h225-common.ts';
import { type RasMessage, type RasRequest, decodeRasMessage } from './h225-ras.ts';
import { type UserInformation, decodeUserInformation } from './h225-uu.ts';
import { calledDomain } from './called-domain.ts';
import { gatekeeperServices, parseGatekeeperId } from './gatekeeper-id.ts';
import type { H323Limits } from './limits.ts';
import { type Q931Message, Q931MessageType, type Q931Problem, decodeQ931 } from './q931.ts';

export type RouteProblem =
  | Q931Problem
  | 'h323.unexpected-message'
  | 'h323.no-user-user'
  | 'h323.undecodable'
  | 'h323.no-tunnelled-ras'
  | 'h323.unexpected-ras'
  | 'h323.no-gatekeeper-id'
  | 'h323.bad-gatekeeper-id'
  | 'h323.conflicting-gatekeeper-ids'
  | 'h323.no-called-domain'
  | 'h323.ambiguous-called-domain'
  | 'h323.bad-called-domain';

export type MessageRoute =
  | {
      readonly kind: 'route';
      readonly services: readonly string[];
      readonly identity: string | undefined;
    }
  | { readonly kind: 'reject'; readonly reason: RouteProblem };

/** A message decoded as far as the plug-in reads it. */
export interface Signalling {
  readonly q931: Q931Message;
  /** Undefined when the message has no User-user IE. */
  readonly info: UserInformation | undefined;
}

function reject(reason: RouteProblem): MessageRoute {
  return { kind: 'reject', reason };
}

/** Q.931 and its UUIE; a UUIE that does not decode is `h323.undecodable`. */
export function decodeSignalling(
  payload: Uint8Array,
  limits: H323Limits,
): Signalling | { readonly problem: RouteProblem } {
  const q931 = decodeQ931(payload);
  if (q931.kind !== 'ok')
    return { problem: q931.kind === 'malformed' ? q931.reason : 'h323.not-q931' };
  const { userUser } = q931.value;
  if (userUser === undefined) return { q931: q931.value, info: undefined };
  const info = decodeUserInformation(userUser, limits);
  return info.kind === 'ok'
    ? { q931: q931.value, info: info.value }
    : { problem: 'h323.undecodable' };
}

/** Every tunnelled RasMessage, or undefined when one does not decode. */
export function decodeTunnelledRas(
  info: UserInformation,
  limits: H323Limits,
): RasMessage[] | undefined {
  const messages: RasMessage[] = [];
  for (const raw of info.ras.messages) {
    const ras = decodeRasMessage(raw, limits);
    if (ras.kind !== 'ok') return undefined;
    messages.push(ras.value);
  }
  return messages;
}

/**
 * The registering name a client certificate must carry: the first h323-ID, else the first
 * number (dialled digits, party number), else the first email-ID or url-ID (without its scheme).
 */
export function identityOf(aliases: readonly Alias[]): string | undefined {
  const first = (kinds: readonly string[]): string | undefined =>
    aliases.find((a) => kinds.includes(a.kind) && a.value !== undefined && a.value !== '')?.value;
  const url = first(['email-ID', 'url-ID']);
  return (
    first(['h323-ID']) ??
    first(['dialedDigits', 'partyNumber']) ??
    url?.replace(/^(?:h323|sips?):/i, '')
  );
}

/** GRQ/RRQ only; every gatekeeper identifier present must name the same services. */
function routeRegistration(info: UserInformation, limits: H323Limits): MessageRoute {
  const messages = decodeTunnelledRas(info, limits);
  if (messages === undefined) return reject('h323.undecodable');
  if (messages.length === 0) return reject('h323.no-tunnelled-ras');
  const requests = messages.filter(
    (m): m is RasRequest => m.kind === 'gatekeeperRequest' || m.kind === 'registrationRequest',
  );
  if (requests.length !== messages.length) return reject('h323.unexpected-ras');
  let services: readonly string[] | undefined;
  for (const { gatekeeperId } of requests) {
    if (gatekeeperId === undefined) continue;
    const parsed = parseGatekeeperId(gatekeeperId, limits.standbyRole);
    if (parsed === undefined) return reject('h323.bad-gatekeeper-id');
    const next = gatekeeperServices(parsed);
    if (services !== undefined && services.join('\n') !== next.join('\n')) {
      return reject('h323.conflicting-gatekeeper-ids');
    }
    services = next;
  }
  if (services === undefined) return reject('h323.no-gatekeeper-id');
  const identity = requests.map((m) => identityOf(m.aliases)).find((i) => i !== undefined);
  return { kind: 'route', services, identity };
}

/** A call without registration: the called party's domain; no identity to prove. */
function routeCall(info: UserInformation): MessageRoute {
  if (info.body !== 'setup') return reject('h323.unexpected-message');
  const called = calledDomain(info.destinationAddress ?? []);
  switch (called.kind) {
    case 'domain':
      return { kind: 'route', services: [called.domain], identity: undefined };
    case 'none':
      return reject('h323.no-called-domain');
    case 'ambiguous':
      return reject('h323.ambiguous-called-domain');
    case 'invalid':
      return reject('h323.bad-called-domain');
  }
}

/** True for the message types a connection may start with. */
export function mayComeFirst(messageType: number): boolean {
  return messageType === Q931MessageType.facility || messageType === Q931MessageType.setup;
}

/** The route of a whole first message (a TPKT payload). */
export function routeMessage(payload: Uint8Array, limits: H323Limits): MessageRoute {
  const decoded = decodeSignalling(payload, limits);
  if ('problem' in decoded) return reject(decoded.problem);
  const { q931, info } = decoded;
  if (!mayComeFirst(q931.messageType)) return reject('h323.unexpected-message');
  if (info === undefined) return reject('h323.no-user-user');
  return q931.messageType === Q931MessageType.facility
    ? routeRegistration(info, limits)
    : routeCall(info);
}
