// RFC 5780 §4.6 binding lifetime, on request: how long an idle mapping keeps letting answers in.
//
// Socket X_i makes a mapping with test I; after waiting T_i (1 s, 2 s, 4 s … up to the maximum,
// all at once), socket Y sends a request with RESPONSE-PORT = X_i's mapped port. The answer
// reaches X_i only while its mapping lives. Needs a server with RFC 5780 (a second address).

import { setTimeout as sleep } from 'node:timers/promises';
import type { RetransmitOptions } from '../stun/client.ts';
import {
  DEFAULT_RETRANSMIT,
  StunUdpClient,
  buildBindingRequest,
  familyOf,
} from '../stun/client.ts';
import { StunClass } from '../stun/constants.ts';
import { decodeStunMessage } from '../stun/message.ts';
import { awaitStunMessage } from './await-datagram.ts';
import type { Verdict } from './classify.ts';
import type { StunEndpoint } from './server-list.ts';
import { type TransactionOptions, runTest } from './transaction.ts';

export interface LifetimeProbe {
  readonly waitMs: number;
  /** Undefined: this probe measured nothing (no mapping, or the server ignored RESPONSE-PORT). */
  readonly alive: boolean | undefined;
}

/** The mapping lived `aliveAfterMs` idle, and was gone after `expiredAfterMs` (if any probe saw it). */
export interface BindingLifetime {
  readonly aliveAfterMs: number | undefined;
  readonly expiredAfterMs: number | undefined;
}

const FIRST_WAIT_MS = 1000;
/** The RESPONSE-PORT request is short-lived: 3 sends, then 4 RTO (3.5 s at the default RTO). */
const PROBE_SENDS = 3;
const PROBE_FINAL_WAIT_FACTOR = 4;

/** 1 s, 2 s, 4 s … below `maxMs`, then `maxMs` itself. */
export function lifetimeWaits(maxMs: number): number[] {
  const waits: number[] = [];
  for (let wait = FIRST_WAIT_MS; wait < maxMs; wait *= 2) waits.push(wait);
  waits.push(maxMs);
  return waits;
}

export function summarizeLifetime(probes: readonly LifetimeProbe[]): Verdict<BindingLifetime> {
  const measured = probes.filter((probe) => probe.alive !== undefined);
  if (measured.length === 0) return { kind: 'unknown', reason: 'lost' };
  const alive = measured.filter((probe) => probe.alive === true).map((probe) => probe.waitMs);
  const aliveAfterMs = alive.length > 0 ? Math.max(...alive) : undefined;
  const expired = measured
    .filter((probe) => probe.alive === false && probe.waitMs > (aliveAfterMs ?? -1))
    .map((probe) => probe.waitMs);
  const expiredAfterMs = expired.length > 0 ? Math.min(...expired) : undefined;
  return { kind: 'known', value: { aliveAfterMs, expiredAfterMs } };
}

export async function probeBindingLifetime(
  target: StunEndpoint,
  maxMs: number,
  options: TransactionOptions & { readonly bindAddress?: string },
): Promise<LifetimeProbe[]> {
  const family = familyOf(target.address);
  const sender = new StunUdpClient(family);
  const clients: StunUdpClient[] = [sender];
  try {
    await sender.bind(options.bindAddress);
    return await Promise.all(
      lifetimeWaits(maxMs).map(async (waitMs) => {
        const client = new StunUdpClient(family);
        clients.push(client);
        await client.bind(options.bindAddress);
        return { waitMs, alive: await probeOnce(client, sender, target, waitMs, options) };
      }),
    );
  } finally {
    for (const client of clients) client.close();
  }
}

async function probeOnce(
  client: StunUdpClient,
  sender: StunUdpClient,
  target: StunEndpoint,
  waitMs: number,
  options: TransactionOptions,
): Promise<boolean | undefined> {
  const first = await runTest(client, target, target, {}, options);
  if (first.outcome.kind !== 'answer') return undefined;
  const mappedPort = first.outcome.mapped.port;
  await sleep(waitMs, undefined, options.signal ? { signal: options.signal } : {});
  const request = buildBindingRequest({ responsePort: mappedPort });
  // An answer to the sender itself means the server did not honour RESPONSE-PORT.
  const seen = { bySender: false };
  const onSenderMessage = (datagram: Buffer): void => {
    const decoded = decodeStunMessage(datagram);
    if (decoded.kind === 'ok' && request.transactionId.equals(decoded.value.transactionId))
      seen.bySender = true;
  };
  sender.socket.on('message', onSenderMessage);
  const retransmit: RetransmitOptions = {
    rtoMs: (options.retransmit ?? DEFAULT_RETRANSMIT).rtoMs,
    maxSends: PROBE_SENDS,
    finalWaitFactor: PROBE_FINAL_WAIT_FACTOR,
  };
  try {
    const received = await awaitStunMessage(
      client.socket,
      { stunClass: StunClass.success, transactionId: request.transactionId },
      () => {
        sender.socket.send(request.bytes, target.port, target.address);
      },
      retransmit,
      options.signal,
    );
    options.signal?.throwIfAborted();
    return received ? true : seen.bySender ? undefined : false;
  } finally {
    sender.socket.off('message', onSenderMessage);
  }
}
