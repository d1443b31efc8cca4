// A logical STUN server -> the addresses to query at once: its IP list, or every address of its name.

import { lookup } from 'node:dns/promises';
import type { LogicalStunServer, StunEndpoint } from './server-list.ts';

/** Every address of a name (the system resolver by default; tests give their own). */
export type LookupAll = (name: string) => Promise<readonly { readonly address: string }[]>;

export const systemLookup: LookupAll = (name) => lookup(name, { all: true });

export type Candidates =
  | { readonly ok: true; readonly candidates: readonly StunEndpoint[] }
  | { readonly ok: false; readonly problem: string };

export async function candidatesOf(
  server: LogicalStunServer,
  lookupAll: LookupAll = systemLookup,
): Promise<Candidates> {
  if (server.kind === 'addresses') return { ok: true, candidates: server.addresses };
  let found: readonly { readonly address: string }[];
  try {
    found = await lookupAll(server.name);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { ok: false, problem: `${server.name} did not resolve: ${why}` };
  }
  const addresses = [...new Set(found.map((entry) => entry.address))];
  if (addresses.length === 0) return { ok: false, problem: `${server.name} has no address` };
  return { ok: true, candidates: addresses.map((address) => ({ address, port: server.port })) };
}
