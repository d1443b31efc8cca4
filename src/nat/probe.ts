// The NAT tests against one logical server (I/O): RFC 3489 §10.1 and RFC 5780 §4.3-4.5 on UDP.
//
// Socket A sends test I (to every candidate address at once, the first answer wins) and then the
// two CHANGE-REQUEST filtering tests, and nothing else: any other destination would open the
// very holes the filtering tests look for. Socket B, in parallel, runs the mapping tests (test I
// again, then to the other IP, then to the other IP and port) and the hairpinning test.

import { networkInterfaces } from 'node:os';
import { combineSignals } from '../net/deadline.ts';
import { isWildcardAddress } from '../net/listen-url.ts';
import type { TransportAddress } from '../stun/attributes/address.ts';
import {
  DEFAULT_RETRANSMIT,
  StunUdpClient,
  buildBindingRequest,
  familyOf,
} from '../stun/client.ts';
import { firstAnswer } from '../stun/client-stream.ts';
import { StunClass } from '../stun/constants.ts';
import { awaitStunMessage } from './await-datagram.ts';
import { type NatTestResults, type TestOutcome, sameIp } from './classify.ts';
import type { StunEndpoint } from './server-list.ts';
import { type TestAnswer, type TransactionOptions, runTest } from './transaction.ts';

export interface ProbeOptions extends TransactionOptions {
  /** Local address of the client sockets; default: every address (the family's wildcard). */
  readonly bindAddress?: string;
  /** This host's own addresses, to tell "no NAT"; default: os.networkInterfaces(). */
  readonly localAddresses?: () => readonly string[];
}

export interface ServerProbe {
  /** The candidate whose test I answer won. */
  readonly answeredBy: StunEndpoint | undefined;
  readonly rttMs: number | undefined;
  readonly results: NatTestResults;
}

const NOT_RUN: TestOutcome = { kind: 'not-run' };

export function systemAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) =>
    (list ?? []).map((info) => info.address),
  );
}

function localAddressCheck(options: ProbeOptions): (address: string) => boolean {
  const bound = options.bindAddress;
  if (bound !== undefined && !isWildcardAddress(bound)) return (address) => sameIp(address, bound);
  const addresses = (options.localAddresses ?? systemAddresses)();
  return (address) => addresses.some((own) => sameIp(address, own));
}

async function openClient(
  family: 4 | 6,
  options: ProbeOptions,
): Promise<{ client: StunUdpClient; local: TransportAddress }> {
  const client = new StunUdpClient(family);
  try {
    const local = await client.bind(options.bindAddress);
    return { client, local };
  } catch (err) {
    client.close();
    throw err;
  }
}

interface PrimaryWin {
  readonly client: StunUdpClient;
  readonly local: TransportAddress;
  readonly target: StunEndpoint;
  readonly answer: TestAnswer;
}

class TestFailed extends Error {
  readonly outcome: TestOutcome;
  constructor(outcome: TestOutcome) {
    super(outcome.kind);
    this.outcome = outcome;
  }
}

/**
 * Test I to every candidate at once, each from its own socket; the winner's socket is kept, every
 * other one is closed by its own attempt (failed, aborted by the win, or second to finish).
 */
async function primaryTest(
  candidates: readonly StunEndpoint[],
  options: ProbeOptions,
): Promise<PrimaryWin | TestOutcome> {
  let won = false;
  try {
    const { result } = await firstAnswer(candidates, async (target, cancel) => {
      const { client, local } = await openClient(familyOf(target.address), options);
      try {
        const answer = await runTest(client, target, target, {}, options, cancel);
        if (answer.outcome.kind !== 'answer') throw new TestFailed(answer.outcome);
        if (won) throw new TestFailed(answer.outcome);
        won = true;
        return { client, local, target, answer };
      } catch (err) {
        client.close();
        throw err;
      }
    });
    return result;
  } catch (err) {
    if (options.signal?.aborted === true) throw err;
    return bestFailure(err);
  }
}

/**
 * What test I says when no candidate answered well: an error or wrong origin beats silence. A
 * failure that is not a test outcome (a socket that cannot bind) is thrown, not called silence.
 */
function bestFailure(err: unknown): TestOutcome {
  const errors = err instanceof AggregateError ? (err.errors as unknown[]) : [err];
  const other = errors.find((e) => !(e instanceof TestFailed));
  if (other instanceof Error) throw other;
  if (other !== undefined) throw new Error('nat test failed', { cause: other });
  const outcomes = errors.flatMap((e) => (e instanceof TestFailed ? [e.outcome] : []));
  return (
    outcomes.find((o) => o.kind === 'error') ??
    outcomes.find((o) => o.kind === 'wrong-origin') ?? { kind: 'no-answer' }
  );
}

/** The other address, when it really is another IP and another port (RFC 5780 §4.1). */
function usableOther(
  target: StunEndpoint,
  other: TransportAddress | undefined,
): TransportAddress | undefined {
  if (other === undefined || other.family !== familyOf(target.address)) return undefined;
  return sameIp(other.address, target.address) || other.port === target.port ? undefined : other;
}

export async function probeNat(
  candidates: readonly StunEndpoint[],
  options: ProbeOptions = {},
): Promise<ServerProbe> {
  const isLocalAddress = localAddressCheck(options);
  const primary = await primaryTest(candidates, options);
  if (!('client' in primary)) {
    return {
      answeredBy: undefined,
      rttMs: undefined,
      results: {
        isLocalAddress,
        primary,
        primaryLocalPort: 0,
        otherAddress: undefined,
        changeIpAndPort: NOT_RUN,
        changePort: NOT_RUN,
        mappingPrimary: NOT_RUN,
        mappingOtherIp: NOT_RUN,
        mappingOtherIpAndPort: NOT_RUN,
        hairpin: 'not-run',
      },
    };
  }
  const { target } = primary;
  const other = usableOther(target, primary.answer.otherAddress);
  try {
    const [filtering, mapping] = await Promise.all([
      filteringTests(primary.client, target, other, options),
      mappingTests(target, other, options),
    ]);
    options.signal?.throwIfAborted();
    return {
      answeredBy: target,
      rttMs: primary.answer.rttMs,
      results: {
        isLocalAddress,
        primary: primary.answer.outcome,
        primaryLocalPort: primary.local.port,
        otherAddress: other,
        ...filtering,
        ...mapping,
      },
    };
  } finally {
    primary.client.close();
  }
}

/** RFC 5780 §4.4 tests II and III on socket A, in parallel: neither opens a hole for the other. */
async function filteringTests(
  client: StunUdpClient,
  target: StunEndpoint,
  other: TransportAddress | undefined,
  options: ProbeOptions,
): Promise<Pick<NatTestResults, 'changeIpAndPort' | 'changePort'>> {
  if (other === undefined) return { changeIpAndPort: NOT_RUN, changePort: NOT_RUN };
  const [both, port] = await Promise.all([
    runTest(client, target, other, { changeIp: true, changePort: true }, options),
    runTest(
      client,
      target,
      { address: target.address, port: other.port },
      { changePort: true },
      options,
    ),
  ]);
  return { changeIpAndPort: both.outcome, changePort: port.outcome };
}

type MappingResults = Pick<
  NatTestResults,
  'mappingPrimary' | 'mappingOtherIp' | 'mappingOtherIpAndPort' | 'hairpin'
>;

/** RFC 5780 §4.3 tests I-III and the §4.5 hairpinning test on socket B. */
async function mappingTests(
  target: StunEndpoint,
  other: TransportAddress | undefined,
  options: ProbeOptions,
): Promise<MappingResults> {
  const { client } = await openClient(familyOf(target.address), options);
  try {
    const first = (await runTest(client, target, target, {}, options)).outcome;
    if (first.kind !== 'answer') {
      return {
        mappingPrimary: first,
        mappingOtherIp: NOT_RUN,
        mappingOtherIpAndPort: NOT_RUN,
        hairpin: 'not-run',
      };
    }
    const otherIp = other && { address: other.address, port: target.port };
    const [two, three, hairpin] = await Promise.all([
      otherIp ? runTest(client, otherIp, otherIp, {}, options) : undefined,
      other ? runTest(client, other, other, {}, options) : undefined,
      hairpinTest(client, first.mapped, options),
    ]);
    return {
      mappingPrimary: first,
      mappingOtherIp: two?.outcome ?? NOT_RUN,
      mappingOtherIpAndPort: three?.outcome ?? NOT_RUN,
      hairpin: hairpin ? 'received' : 'not-received',
    };
  } finally {
    client.close();
  }
}

/** RFC 5780 §4.5: a request to our own mapped address that reaches us is hairpinned. */
function hairpinTest(
  client: StunUdpClient,
  mapped: TransportAddress,
  options: ProbeOptions,
): Promise<boolean> {
  const request = buildBindingRequest();
  const stop = combineSignals([options.signal], options.timeoutMs);
  return awaitStunMessage(
    client.socket,
    { stunClass: StunClass.request, transactionId: request.transactionId },
    () => {
      client.socket.send(request.bytes, mapped.port, mapped.address);
    },
    options.retransmit ?? DEFAULT_RETRANSMIT,
    stop.signal,
  ).finally(() => {
    stop.clear();
  });
}
