// NAT classification, pure: the outcomes of the RFC 3489 / RFC 5780 tests in, the verdicts out.
// probe.ts runs the tests; nothing here touches a socket or a clock.

import type { TransportAddress } from '../stun/attributes/address.ts';
import { canonicalIp } from '../net/listen-url.ts';

/** RFC 3489 §5 / §10.1 names. */
export type ClassicNatType =
  | 'open-internet'
  | 'full-cone'
  | 'restricted-cone'
  | 'port-restricted-cone'
  | 'symmetric'
  | 'symmetric-udp-firewall'
  | 'udp-blocked';

/** RFC 4787 / RFC 5780 §4.3-4.4 names, for mapping and for filtering behaviour. */
export type NatBehaviour =
  'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent';

/** Why a verdict cannot be given: said instead of guessed. */
export type UnknownReason =
  /** Test I got no answer: nothing can be known. */
  | 'no-answer'
  /** The server names no second address, or refuses CHANGE-REQUEST (420): RFC 5780 §4.2. */
  | 'no-second-address'
  /** An answer came from another address than the one the test asked for. */
  | 'wrong-origin'
  /** The server answered a test with an error other than 420. */
  | 'server-error'
  /** A test the decision needs was not answered although the server answered test I. */
  | 'lost'
  /** The server's name did not resolve. */
  | 'unresolved';

export type Verdict<T> =
  | { readonly kind: 'known'; readonly value: T }
  | { readonly kind: 'unknown'; readonly reason: UnknownReason };

/** One Binding transaction of a test, judged by where its answer came from. */
export type TestOutcome =
  /** A success from exactly the address the test asked for. */
  | { readonly kind: 'answer'; readonly mapped: TransportAddress }
  | { readonly kind: 'no-answer' }
  | { readonly kind: 'wrong-origin'; readonly from: TransportAddress }
  | { readonly kind: 'error'; readonly code: number }
  | { readonly kind: 'not-run' };

export interface NatTestResults {
  /** Whether `address` is one of this host's own (the local socket is bound to a wildcard). */
  readonly isLocalAddress: (address: string) => boolean;
  /** Socket A: test I to the primary address, and the local port it was sent from. */
  readonly primary: TestOutcome;
  readonly primaryLocalPort: number;
  /** OTHER-ADDRESS (or RFC 3489 CHANGED-ADDRESS) of the test I answer. */
  readonly otherAddress: TransportAddress | undefined;
  /** Socket A, RFC 5780 §4.4 test II = RFC 3489 test II: CHANGE-REQUEST change IP and port. */
  readonly changeIpAndPort: TestOutcome;
  /** Socket A, RFC 5780 §4.4 test III = RFC 3489 test III: CHANGE-REQUEST change port. */
  readonly changePort: TestOutcome;
  /** Socket B, RFC 5780 §4.3 test I: to the primary address. */
  readonly mappingPrimary: TestOutcome;
  /** Socket B, test II: to the other IP address, primary port. */
  readonly mappingOtherIp: TestOutcome;
  /** Socket B, test III: to the other address and port (RFC 3489 "test I to CHANGED-ADDRESS"). */
  readonly mappingOtherIpAndPort: TestOutcome;
  /** RFC 5780 §4.5: a request sent to our own mapped address came back to us. */
  readonly hairpin: 'received' | 'not-received' | 'not-run';
}

export interface NatClassification {
  /** The external (mapped) address test I reported. */
  readonly mapped: TransportAddress | undefined;
  readonly natPresent: Verdict<boolean>;
  readonly classic: Verdict<ClassicNatType>;
  readonly mapping: Verdict<NatBehaviour>;
  readonly filtering: Verdict<NatBehaviour>;
  readonly hairpinning: Verdict<boolean>;
}

const known = <T>(value: T): Verdict<T> => ({ kind: 'known', value });
const unknown = <T>(reason: UnknownReason): Verdict<T> => ({ kind: 'unknown', reason });

export function sameIp(a: string, b: string): boolean {
  return canonicalIp(a) === canonicalIp(b);
}

export function sameTransportAddress(a: TransportAddress, b: TransportAddress): boolean {
  return a.port === b.port && sameIp(a.address, b.address);
}

/** Every verdict unknown for one reason (a name that did not resolve, a server never asked). */
export function nothingKnown(reason: UnknownReason): NatClassification {
  return {
    mapped: undefined,
    natPresent: unknown(reason),
    classic: reason === 'no-answer' ? known('udp-blocked') : unknown(reason),
    mapping: unknown(reason),
    filtering: unknown(reason),
    hairpinning: unknown(reason),
  };
}

/** Why a test that should have settled a question did not. */
function reasonOf(outcome: TestOutcome): UnknownReason {
  switch (outcome.kind) {
    case 'wrong-origin':
      return 'wrong-origin';
    case 'error':
      // RFC 5780 §6.1 / coturn: 420 to CHANGE-REQUEST means "I have no second address".
      return outcome.code === 420 ? 'no-second-address' : 'server-error';
    case 'not-run':
      return 'no-second-address';
    case 'answer':
    case 'no-answer':
      return 'lost';
  }
}

export function classifyNat(results: NatTestResults): NatClassification {
  const { primary } = results;
  if (primary.kind !== 'answer') {
    return primary.kind === 'no-answer'
      ? nothingKnown('no-answer')
      : nothingKnown(reasonOf(primary));
  }
  const mapped = primary.mapped;
  const natPresent =
    mapped.port !== results.primaryLocalPort || !results.isLocalAddress(mapped.address);
  return {
    mapped,
    natPresent: known(natPresent),
    classic: classicType(results, natPresent),
    mapping: mappingBehaviour(results),
    filtering: filteringBehaviour(results),
    hairpinning:
      results.hairpin === 'not-run' ? unknown('lost') : known(results.hairpin === 'received'),
  };
}

/** RFC 5780 §4.4: II answered -> EIF; else III answered -> ADF; else APDF. */
export function filteringBehaviour(results: NatTestResults): Verdict<NatBehaviour> {
  if (results.otherAddress === undefined) return unknown('no-second-address');
  const { changeIpAndPort: two, changePort: three } = results;
  if (two.kind === 'answer') return known('endpoint-independent');
  if (two.kind !== 'no-answer') return unknown(reasonOf(two));
  if (three.kind === 'answer') return known('address-dependent');
  if (three.kind !== 'no-answer') return unknown(reasonOf(three));
  return known('address-and-port-dependent');
}

/** RFC 5780 §4.3: compare the mapped addresses towards primary, other IP, other IP and port. */
export function mappingBehaviour(results: NatTestResults): Verdict<NatBehaviour> {
  if (results.otherAddress === undefined) return unknown('no-second-address');
  const { mappingPrimary: one, mappingOtherIp: two, mappingOtherIpAndPort: three } = results;
  if (one.kind !== 'answer') return unknown(reasonOf(one));
  if (two.kind !== 'answer') return unknown(reasonOf(two));
  if (sameTransportAddress(one.mapped, two.mapped)) return known('endpoint-independent');
  if (three.kind !== 'answer') return unknown(reasonOf(three));
  return sameTransportAddress(two.mapped, three.mapped)
    ? known('address-dependent')
    : known('address-and-port-dependent');
}

/** RFC 3489 §10.1, figure 2, with the answers of the tests above. */
export function classicType(results: NatTestResults, natPresent: boolean): Verdict<ClassicNatType> {
  if (results.otherAddress === undefined) return unknown('no-second-address');
  const { changeIpAndPort: two } = results;
  if (two.kind === 'answer') return known(natPresent ? 'full-cone' : 'open-internet');
  if (two.kind !== 'no-answer') return unknown(reasonOf(two));
  if (!natPresent) return known('symmetric-udp-firewall');
  // "Test I to CHANGED-ADDRESS" from the mapping socket, against that socket's own test I.
  const { mappingPrimary: one, mappingOtherIpAndPort: toOther } = results;
  if (one.kind !== 'answer') return unknown(reasonOf(one));
  if (toOther.kind !== 'answer') return unknown(reasonOf(toOther));
  if (!sameTransportAddress(one.mapped, toOther.mapped)) return known('symmetric');
  const { changePort: three } = results;
  if (three.kind === 'answer') return known('restricted-cone');
  if (three.kind !== 'no-answer') return unknown(reasonOf(three));
  return known('port-restricted-cone');
}
