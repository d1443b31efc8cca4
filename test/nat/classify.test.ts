// The classifier is a decision table: test outcomes in, RFC 3489 / RFC 5780 verdicts out.

import { test } from 'node:test';
import {
  type NatClassification,
  type NatTestResults,
  type TestOutcome,
  type Verdict,
  classifyNat,
  nothingKnown,
} from '../../src/nat/classify.ts';
import type { TransportAddress } from '../../src/stun/attributes/address.ts';

const LOCAL_IP = '10.0.0.2';
const LOCAL_PORT = 40000;
const PUBLIC_IP = '203.0.113.7';
const OTHER: TransportAddress = { family: 4, address: '192.0.2.2', port: 3479 };

const at = (address: string, port: number): TestOutcome => ({
  kind: 'answer',
  mapped: { family: 4, address, port },
});
const NO: TestOutcome = { kind: 'no-answer' };
const NOT_RUN: TestOutcome = { kind: 'not-run' };

/** A NAT-less host whose every test is answered; each row changes what it needs. */
function results(overrides: Partial<NatTestResults>): NatTestResults {
  return {
    isLocalAddress: (address) => address === LOCAL_IP,
    primary: at(LOCAL_IP, LOCAL_PORT),
    primaryLocalPort: LOCAL_PORT,
    otherAddress: OTHER,
    changeIpAndPort: at(LOCAL_IP, LOCAL_PORT),
    changePort: at(LOCAL_IP, LOCAL_PORT),
    mappingPrimary: at(LOCAL_IP, 40001),
    mappingOtherIp: at(LOCAL_IP, 40001),
    mappingOtherIpAndPort: at(LOCAL_IP, 40001),
    hairpin: 'received',
    ...overrides,
  };
}

/** Behind a NAT with endpoint-independent mapping (port kept). */
const natted = (overrides: Partial<NatTestResults>): NatTestResults =>
  results({
    primary: at(PUBLIC_IP, LOCAL_PORT),
    changeIpAndPort: at(PUBLIC_IP, LOCAL_PORT),
    changePort: at(PUBLIC_IP, LOCAL_PORT),
    mappingPrimary: at(PUBLIC_IP, 40001),
    mappingOtherIp: at(PUBLIC_IP, 40001),
    mappingOtherIpAndPort: at(PUBLIC_IP, 40001),
    hairpin: 'not-received',
    ...overrides,
  });

type Summary = [natPresent: string, classic: string, mapping: string, filtering: string];

function summary(c: NatClassification): Summary {
  const show = (v: Verdict<string | boolean>): string =>
    v.kind === 'known' ? String(v.value) : `unknown:${v.reason}`;
  return [show(c.natPresent), show(c.classic), show(c.mapping), show(c.filtering)];
}

const EI = 'endpoint-independent';
const AD = 'address-dependent';
const APD = 'address-and-port-dependent';

const table: readonly [string, NatTestResults, Summary][] = [
  ['open internet', results({}), ['false', 'open-internet', EI, EI]],
  [
    'a symmetric UDP firewall (no NAT, inbound only from where we sent)',
    results({ changeIpAndPort: NO, changePort: NO }),
    ['false', 'symmetric-udp-firewall', EI, APD],
  ],
  ['a full cone NAT', natted({}), ['true', 'full-cone', EI, EI]],
  ['a restricted cone NAT', natted({ changeIpAndPort: NO }), ['true', 'restricted-cone', EI, AD]],
  [
    'a port-restricted cone NAT',
    natted({ changeIpAndPort: NO, changePort: NO }),
    ['true', 'port-restricted-cone', EI, APD],
  ],
  [
    'a symmetric NAT (new port per destination address and port)',
    natted({
      changeIpAndPort: NO,
      changePort: NO,
      mappingOtherIp: at(PUBLIC_IP, 51000),
      mappingOtherIpAndPort: at(PUBLIC_IP, 52000),
    }),
    ['true', 'symmetric', APD, APD],
  ],
  [
    'an address-dependent mapping NAT (RFC 3489 calls it symmetric)',
    natted({
      changeIpAndPort: NO,
      changePort: NO,
      mappingOtherIp: at(PUBLIC_IP, 51000),
      mappingOtherIpAndPort: at(PUBLIC_IP, 51000),
    }),
    ['true', 'symmetric', AD, APD],
  ],
  [
    'a NAT that keeps the IP but not the port is still a NAT',
    natted({ primary: at(LOCAL_IP, 61000) }),
    ['true', 'full-cone', EI, EI],
  ],
  [
    'UDP blocked: test I unanswered',
    results({ primary: NO }),
    ['unknown:no-answer', 'udp-blocked', 'unknown:no-answer', 'unknown:no-answer'],
  ],
  [
    'a server without a second address: only "behind a NAT" is known',
    natted({ otherAddress: undefined, changeIpAndPort: NOT_RUN, changePort: NOT_RUN }),
    ['true', 'unknown:no-second-address', 'unknown:no-second-address', 'unknown:no-second-address'],
  ],
  [
    'a server that refuses CHANGE-REQUEST with 420',
    natted({
      changeIpAndPort: { kind: 'error', code: 420 },
      changePort: { kind: 'error', code: 420 },
    }),
    ['true', 'unknown:no-second-address', EI, 'unknown:no-second-address'],
  ],
  [
    'a server that answers CHANGE-REQUEST from its primary address (not counted as passing)',
    natted({
      changeIpAndPort: {
        kind: 'wrong-origin',
        from: { family: 4, address: '192.0.2.1', port: 3478 },
      },
    }),
    ['true', 'unknown:wrong-origin', EI, 'unknown:wrong-origin'],
  ],
  [
    'a wrong-origin answer to test III after a silent test II',
    natted({
      changeIpAndPort: NO,
      changePort: { kind: 'wrong-origin', from: { family: 4, address: '192.0.2.1', port: 3478 } },
    }),
    ['true', 'unknown:wrong-origin', EI, 'unknown:wrong-origin'],
  ],
  [
    'a lost mapping test: mapping and the symmetric question stay open',
    natted({ changeIpAndPort: NO, changePort: NO, mappingOtherIp: NO, mappingOtherIpAndPort: NO }),
    ['true', 'unknown:lost', 'unknown:lost', APD],
  ],
  [
    'a server error to a test is not guessed around',
    natted({ changeIpAndPort: { kind: 'error', code: 500 } }),
    ['true', 'unknown:server-error', EI, 'unknown:server-error'],
  ],
];

for (const [name, input, expected] of table) {
  test(`classifies ${name}`, (t) => {
    t.assert.deepEqual(summary(classifyNat(input)), expected);
  });
}

test('the mapped address of test I is the external address', (t) => {
  t.assert.deepEqual(classifyNat(natted({})).mapped, {
    family: 4,
    address: PUBLIC_IP,
    port: LOCAL_PORT,
  });
});

test('hairpinning is what the hairpin test saw, unknown when it could not run', (t) => {
  t.assert.deepEqual(classifyNat(natted({ hairpin: 'received' })).hairpinning, {
    kind: 'known',
    value: true,
  });
  t.assert.deepEqual(classifyNat(natted({})).hairpinning, { kind: 'known', value: false });
  t.assert.deepEqual(classifyNat(natted({ hairpin: 'not-run' })).hairpinning, {
    kind: 'unknown',
    reason: 'lost',
  });
});

test('IPv6 addresses compare by value, not by spelling', (t) => {
  const v6 = (address: string, port: number): TestOutcome => ({
    kind: 'answer',
    mapped: { family: 6, address, port },
  });
  const input = results({
    isLocalAddress: (address) => address === '2001:db8::2',
    otherAddress: { family: 6, address: '2001:db8:1::2', port: 3479 },
    primary: v6('2001:db8:0:0::2', LOCAL_PORT),
    mappingPrimary: v6('2001:DB8::2', 40001),
    mappingOtherIp: v6('2001:db8::2', 40001),
    mappingOtherIpAndPort: v6('2001:db8::2', 40001),
  });
  const classification = classifyNat(input);
  t.assert.deepEqual(classification.mapping, { kind: 'known', value: EI });
});

test('an unresolved name leaves every verdict unknown, and silence is udp-blocked', (t) => {
  t.assert.deepEqual(summary(nothingKnown('unresolved')), [
    'unknown:unresolved',
    'unknown:unresolved',
    'unknown:unresolved',
    'unknown:unresolved',
  ]);
  t.assert.equal(summary(nothingKnown('no-answer'))[1], 'udp-blocked');
});
