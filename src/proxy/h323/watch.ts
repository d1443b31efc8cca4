// Watches a relayed H.323 connection (ARCHITECTURE.md "relay"). From the client, every TPKT is
// decoded: a tunnelled GRQ/RRQ must still name the routed service, and bytes that are not TPKT or
// do not decode are refused, since a backend reading them differently could see a registration
// the watcher did not. From the server, a tunnelled GRJ/RRJ that denies security (a wrong password)
// answering this client's request is a suspicious event.

import type { WatchContext, WatchVerdict, Watcher } from '../protocol.ts';
import type { RasMessage, RasReject } from './h225-ras.ts';
import { gatekeeperServices, parseGatekeeperId } from './gatekeeper-id.ts';
import type { H323Limits } from './limits.ts';
import { decodeSignalling, decodeTunnelledRas, routeMessage } from './route.ts';
import { createTpktSplitter } from './stream.ts';

type Refusal = Exclude<WatchVerdict, 'pass'>;

/** Requests awaiting their answer; an endpoint has one or two RAS transactions open at a time. */
const MAX_OUTSTANDING = 16;

/**
 * The extension alternatives of the reject reasons that mean "your credentials are wrong"
 * (H.225.0: RegistrationRejectReason securityDenial = ext 3, securityError = ext 9;
 * GatekeeperRejectReason securityDenial = ext 0, securityError = ext 3; protocols.md §2.10).
 */
const SECURITY_DENIALS: Readonly<Record<RasReject['kind'], readonly number[]>> = {
  registrationReject: [3, 9],
  gatekeeperReject: [0, 3],
};

const SUSPICIOUS_REASON: Readonly<Record<RasReject['kind'], string>> = {
  registrationReject: 'h323.registration-rejected',
  gatekeeperReject: 'h323.gatekeeper-rejected',
};

const REQUEST_OF: Readonly<Record<string, string>> = {
  gatekeeperConfirm: 'gatekeeperRequest',
  gatekeeperReject: 'gatekeeperRequest',
  registrationConfirm: 'registrationRequest',
  registrationReject: 'registrationRequest',
};

/**
 * Which gatekeeper identifiers a connection routed to `service` may still name. The router took
 * the first service of the first message that exists; those before it are known not to exist. A
 * later identifier is held to the same rule: `service` must be among its services and every one
 * before it known not to exist, so that it would have routed here too. Routed to `gk/site2`, a
 * later plain `gk` is refused (it routes to the master); routed to `gk` after `gk/site2` was
 * missing, `gk/site2` and `gk` pass but `gk/site3` does not (it might exist). Names compare as
 * the router compares them (`toLowerCase`).
 */
function createGatekeeperRule(service: string): {
  learnFirst(services: readonly string[]): void;
  accepts(services: readonly string[]): boolean;
} {
  const routed = service.toLowerCase();
  const absent = new Set<string>();
  return {
    learnFirst(services) {
      const names = services.map((s) => s.toLowerCase());
      const at = names.indexOf(routed);
      for (const name of names.slice(0, Math.max(at, 0))) absent.add(name);
    },
    accepts(services) {
      const names = services.map((s) => s.toLowerCase());
      const at = names.indexOf(routed);
      return at >= 0 && names.slice(0, at).every((name) => absent.has(name));
    },
  };
}

export function createH323Watcher(ctx: WatchContext, limits: H323Limits): Watcher {
  const rule = createGatekeeperRule(ctx.service);
  const outstanding = new Set<string>(); // `${kind} ${requestSeqNum}`, oldest first
  let first = true;

  const judgeRas = (message: RasMessage): Refusal | undefined => {
    if (message.kind !== 'gatekeeperRequest' && message.kind !== 'registrationRequest') return;
    if (outstanding.size >= MAX_OUTSTANDING)
      outstanding.delete(outstanding.values().next().value ?? '');
    outstanding.add(`${message.kind} ${message.requestSeqNum}`);
    if (message.gatekeeperId === undefined) return; // addressed to whichever gatekeeper this is
    const parsed = parseGatekeeperId(message.gatekeeperId, limits.standbyRole);
    if (parsed === undefined) return { refuse: 'malformed', reason: 'h323.bad-gatekeeper-id' };
    if (rule.accepts(gatekeeperServices(parsed))) return;
    return { refuse: 'forbidden', reason: 'h323.other-gatekeeper' };
  };

  const judgeClient = (payload: Uint8Array): Refusal | undefined => {
    if (payload.length === 0) return; // keep-alive
    if (first) {
      // The routed first message, seen again: it tells which services were found missing.
      first = false;
      const route = routeMessage(payload, limits);
      if (route.kind === 'route') rule.learnFirst(route.services);
    }
    const decoded = decodeSignalling(payload, limits);
    if ('problem' in decoded) return { refuse: 'malformed', reason: decoded.problem };
    if (decoded.info === undefined) return;
    const messages = decodeTunnelledRas(decoded.info, limits);
    if (messages === undefined) return { refuse: 'malformed', reason: 'h323.undecodable' };
    for (const message of messages) {
      const refusal = judgeRas(message);
      if (refusal !== undefined) return refusal;
    }
    return;
  };

  /** A tunnelled answer to one of this client's requests: a security denial is suspicious. */
  const readAnswer = (message: RasMessage): void => {
    const request = REQUEST_OF[message.kind];
    if (request === undefined || !('requestSeqNum' in message)) return;
    if (!outstanding.delete(`${request} ${message.requestSeqNum}`)) return;
    if (message.kind !== 'gatekeeperReject' && message.kind !== 'registrationReject') return;
    const { extension, index } = message.reason;
    if (extension && SECURITY_DENIALS[message.kind].includes(index)) {
      ctx.suspicious(SUSPICIOUS_REASON[message.kind]);
    }
  };

  const readServer = (payload: Uint8Array): boolean => {
    const decoded = payload.length === 0 ? undefined : decodeSignalling(payload, limits);
    if (decoded === undefined || 'problem' in decoded || decoded.info === undefined) return true;
    for (const message of decodeTunnelledRas(decoded.info, limits) ?? []) readAnswer(message);
    return true;
  };

  const client = createTpktSplitter(limits.maxMessageBytes, 'refuse');
  const server = createTpktSplitter(limits.maxMessageBytes, 'skip');
  let refusal: Refusal | undefined; // once refused, the client stays refused
  let serverWatched = true;
  return {
    fromClient(chunk) {
      if (refusal !== undefined) return refusal;
      const split = client.push(chunk, (payload) => {
        refusal = judgeClient(payload);
        return refusal === undefined;
      });
      if (split === 'not-tpkt') refusal = { refuse: 'malformed', reason: 'h323.not-tpkt' };
      if (split === 'too-large') refusal = { refuse: 'too-large', reason: 'h323.too-large' };
      return refusal ?? 'pass';
    },
    fromServer(chunk) {
      // A server that stops speaking TPKT (a misconfigured backend) is no longer watched.
      if (serverWatched) serverWatched = server.push(chunk, readServer) === 'ok';
    },
  };
}
