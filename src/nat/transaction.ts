// One NAT test transaction: a Binding request on a client socket, its answer judged by its origin.

import { combineSignals } from '../net/deadline.ts';
import type { TransportAddress } from '../stun/attributes/address.ts';
import { readBindingResult } from '../stun/binding-result.ts';
import {
  type BindingRequestOptions,
  DEFAULT_RETRANSMIT,
  type RetransmitOptions,
  type StunResponse,
  type StunUdpClient,
  buildBindingRequest,
} from '../stun/client.ts';
import { type TestOutcome, sameTransportAddress } from './classify.ts';
import type { StunEndpoint } from './server-list.ts';

export interface TransactionOptions {
  /** RFC 8489 §6.2.1 by default: 7 sends from RTO 500 ms, 39.5 s in all. */
  readonly retransmit?: RetransmitOptions;
  /** A cap on each transaction on top of the schedule. */
  readonly timeoutMs?: number;
  /** Aborts everything (the gateway stops): the test throws instead of reporting "no answer". */
  readonly signal?: AbortSignal;
}

export interface TestAnswer {
  readonly outcome: TestOutcome;
  /** OTHER-ADDRESS, else RFC 3489 CHANGED-ADDRESS, of a success. */
  readonly otherAddress: TransportAddress | undefined;
  readonly rttMs: number | undefined;
}

/**
 * Sends one Binding request to `to` and waits for its answer. A success counts only when it came
 * from `expectedFrom` (the address a CHANGE-REQUEST asked the server to answer from).
 * `cancel` (besides options.signal) abandons the test: it then throws instead of reporting.
 */
export async function runTest(
  client: StunUdpClient,
  to: StunEndpoint,
  expectedFrom: StunEndpoint,
  request: BindingRequestOptions,
  options: TransactionOptions,
  cancel?: AbortSignal,
): Promise<TestAnswer> {
  const stop = combineSignals([options.signal, cancel], options.timeoutMs);
  let response: StunResponse;
  try {
    response = await client.transact(
      buildBindingRequest(request),
      to,
      options.retransmit ?? DEFAULT_RETRANSMIT,
      stop.signal,
    );
  } catch (err) {
    if (options.signal?.aborted === true || cancel?.aborted === true) throw err;
    return { outcome: { kind: 'no-answer' }, otherAddress: undefined, rttMs: undefined };
  } finally {
    stop.clear();
  }
  return judge(response, expectedFrom);
}

function judge(response: StunResponse, expectedFrom: StunEndpoint): TestAnswer {
  const result = readBindingResult(response.message);
  const rttMs = response.rttMs;
  if (typeof result === 'string') {
    return { outcome: { kind: 'error', code: 0 }, otherAddress: undefined, rttMs };
  }
  if (result.error) {
    return { outcome: { kind: 'error', code: result.error.code }, otherAddress: undefined, rttMs };
  }
  const expected = { family: response.from.family, ...expectedFrom };
  if (!sameTransportAddress(response.from, expected)) {
    return {
      outcome: { kind: 'wrong-origin', from: response.from },
      otherAddress: undefined,
      rttMs,
    };
  }
  if (result.mapped === undefined) {
    return { outcome: { kind: 'error', code: 0 }, otherAddress: undefined, rttMs };
  }
  return {
    outcome: { kind: 'answer', mapped: result.mapped },
    otherAddress: result.otherAddress ?? result.changedAddress,
    rttMs,
  };
}
