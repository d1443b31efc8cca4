// What the primary and the workers of `pbxgate start --workers N` say to each other over cluster IPC.
// Every message is checked on receipt: IPC carries only our own messages, but a bad one is a bug to
// log, not a crash.

import type { BlacklistEntry } from '../fraud/fraud.ts';

/** The environment variable that hands the workers their shared TLS session ticket keys (hex). */
export const TICKET_KEYS_ENV = 'PBXGATE_TLS_TICKET_KEYS';

/** Wire form of the fraud lists: what a worker needs to enforce them locally. */
export interface FraudLists {
  readonly blacklist: readonly BlacklistEntry[];
  /** Manual whitelist entries (the config ones every worker reads from its own config). */
  readonly whitelist: readonly string[];
}

export type ToWorker =
  | { readonly t: 'pbxgate:fraud-lists'; readonly lists: FraudLists }
  | { readonly t: 'pbxgate:reload-tls'; readonly id: number }
  | { readonly t: 'pbxgate:metrics'; readonly id: number }
  | { readonly t: 'pbxgate:stop' };

export type FromWorker =
  | { readonly t: 'pbxgate:ready' }
  | { readonly t: 'pbxgate:failed'; readonly message: string }
  /** Suspicious events as [ip, reason] pairs, batched. */
  | { readonly t: 'pbxgate:suspicious'; readonly events: readonly (readonly [string, string])[] }
  | { readonly t: 'pbxgate:tls-reloaded'; readonly id: number; readonly error?: string }
  | { readonly t: 'pbxgate:metrics'; readonly id: number; readonly metrics: unknown };

type Record_ = Readonly<Record<string, unknown>>;

function isRecord(value: unknown): value is Record_ {
  return typeof value === 'object' && value !== null;
}

function isPair(value: unknown): value is readonly [string, string] {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    typeof value[0] === 'string' &&
    typeof value[1] === 'string'
  );
}

function isEntry(value: unknown): value is BlacklistEntry {
  return (
    isRecord(value) &&
    typeof value['key'] === 'string' &&
    typeof value['reason'] === 'string' &&
    typeof value['since'] === 'number' &&
    (value['until'] === undefined || typeof value['until'] === 'number') &&
    typeof value['manual'] === 'boolean'
  );
}

function isLists(value: unknown): value is FraudLists {
  return (
    isRecord(value) &&
    Array.isArray(value['blacklist']) &&
    value['blacklist'].every(isEntry) &&
    Array.isArray(value['whitelist']) &&
    value['whitelist'].every((cidr) => typeof cidr === 'string')
  );
}

/** A message for a worker, or undefined (someone else's message, or a malformed one). */
export function toWorker(message: unknown): ToWorker | undefined {
  if (!isRecord(message)) return undefined;
  switch (message['t']) {
    case 'pbxgate:fraud-lists':
      return isLists(message['lists'])
        ? { t: 'pbxgate:fraud-lists', lists: message['lists'] }
        : undefined;
    case 'pbxgate:reload-tls':
    case 'pbxgate:metrics': {
      const id = message['id'];
      return typeof id === 'number' ? { t: message['t'], id } : undefined;
    }
    case 'pbxgate:stop':
      return { t: 'pbxgate:stop' };
    default:
      return undefined;
  }
}

/** A message from a worker, or undefined. */
export function fromWorker(message: unknown): FromWorker | undefined {
  if (!isRecord(message)) return undefined;
  const id = message['id'];
  switch (message['t']) {
    case 'pbxgate:ready':
      return { t: 'pbxgate:ready' };
    case 'pbxgate:failed': {
      const text = message['message'];
      return { t: 'pbxgate:failed', message: typeof text === 'string' ? text : 'worker failed' };
    }
    case 'pbxgate:suspicious': {
      const events = message['events'];
      return Array.isArray(events) && events.every(isPair)
        ? { t: 'pbxgate:suspicious', events }
        : undefined;
    }
    case 'pbxgate:tls-reloaded': {
      if (typeof id !== 'number') return undefined;
      const error = message['error'];
      return typeof error === 'string'
        ? { t: 'pbxgate:tls-reloaded', id, error }
        : { t: 'pbxgate:tls-reloaded', id };
    }
    case 'pbxgate:metrics':
      return typeof id === 'number'
        ? { t: 'pbxgate:metrics', id, metrics: message['metrics'] }
        : undefined;
    default:
      return undefined;
  }
}
