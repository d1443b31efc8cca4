// A detection as the operator sees it: one flat JSON record per logical server, and text lines.

import type { ClassicNatType, NatBehaviour, UnknownReason, Verdict } from './classify.ts';
import type { ServerDetection } from './detect.ts';
import type { BindingLifetime } from './lifetime.ts';
import { formatEndpoint } from './server-list.ts';

type ReportedVerdict = 'natPresent' | 'classic' | 'mapping' | 'filtering' | 'hairpinning';

export interface NatServerReport {
  readonly server: string;
  readonly queried: readonly string[];
  readonly answeredBy: string | null;
  readonly rttMs: number | null;
  readonly externalAddress: string | null;
  readonly natPresent: boolean | null;
  readonly classic: ClassicNatType | 'unknown';
  readonly mapping: NatBehaviour | 'unknown';
  readonly filtering: NatBehaviour | 'unknown';
  readonly hairpinning: boolean | null;
  /** Only when the lifetime test ran: the idle time the mapping survived, and where it was gone. */
  readonly bindingLifetime?: {
    readonly aliveAfterSeconds: number | null;
    readonly expiredAfterSeconds: number | null;
  } | null;
  /** For each verdict above that is unknown or null: why. */
  readonly unknown: Readonly<Partial<Record<ReportedVerdict | 'bindingLifetime', UnknownReason>>>;
  /** Why nothing could be asked (a name that did not resolve). */
  readonly problem: string | null;
  readonly durationMs: number;
}

export const UNKNOWN_REASON_TEXT: Readonly<Record<UnknownReason, string>> = {
  'no-answer': 'no answer from any address of the server',
  'no-second-address':
    'the server has no second address (no RFC 5780 OTHER-ADDRESS, or CHANGE-REQUEST refused): this test needs one',
  'wrong-origin':
    'an answer came from another address than the one the test asked for (the server does not really change address)',
  'server-error': 'the server answered a test with an error',
  lost: 'a test the decision needs got no answer, although the server answered before',
  unresolved: 'the server name did not resolve',
};

const round = (ms: number | undefined): number | null =>
  ms === undefined ? null : Math.round(ms * 10) / 10;

export function reportDetection(detection: ServerDetection): NatServerReport {
  const { classification: c } = detection;
  const unknown: Partial<Record<ReportedVerdict | 'bindingLifetime', UnknownReason>> = {};
  const value = <T>(name: ReportedVerdict, verdict: Verdict<T>): T | undefined => {
    if (verdict.kind === 'known') return verdict.value;
    unknown[name] = verdict.reason;
    return undefined;
  };
  const lifetime = detection.lifetime;
  if (lifetime?.kind === 'unknown') unknown.bindingLifetime = lifetime.reason;
  const mapped = c.mapped;
  return {
    server: detection.server,
    queried: detection.queried.map(formatEndpoint),
    answeredBy: detection.answeredBy ? formatEndpoint(detection.answeredBy) : null,
    rttMs: round(detection.rttMs),
    externalAddress: mapped ? formatEndpoint(mapped) : null,
    natPresent: value('natPresent', c.natPresent) ?? null,
    classic: value('classic', c.classic) ?? 'unknown',
    mapping: value('mapping', c.mapping) ?? 'unknown',
    filtering: value('filtering', c.filtering) ?? 'unknown',
    hairpinning: value('hairpinning', c.hairpinning) ?? null,
    ...(lifetime === undefined ? {} : { bindingLifetime: lifetimeSeconds(lifetime) }),
    unknown,
    problem: detection.problem ?? null,
    durationMs: Math.round(detection.durationMs),
  };
}

function lifetimeSeconds(
  lifetime: Verdict<BindingLifetime>,
): NonNullable<NatServerReport['bindingLifetime']> | null {
  if (lifetime.kind === 'unknown') return null;
  const seconds = (ms: number | undefined): number | null => (ms === undefined ? null : ms / 1000);
  return {
    aliveAfterSeconds: seconds(lifetime.value.aliveAfterMs),
    expiredAfterSeconds: seconds(lifetime.value.expiredAfterMs),
  };
}

const words = (name: string): string => name.replaceAll('-', ' ');

function verdictText(
  report: NatServerReport,
  name: ReportedVerdict | 'bindingLifetime',
  text: string | undefined,
): string {
  if (text !== undefined) return text;
  const reason = report.unknown[name];
  return `unknown: ${reason === undefined ? 'not measured' : UNKNOWN_REASON_TEXT[reason]}`;
}

function yesNo(value: boolean | null): string | undefined {
  return value === null ? undefined : value ? 'yes' : 'no';
}

function lifetimeText(lifetime: NatServerReport['bindingLifetime']): string | undefined {
  if (lifetime === undefined || lifetime === null) return undefined;
  const { aliveAfterSeconds: alive, expiredAfterSeconds: expired } = lifetime;
  if (alive !== null && expired !== null) return `more than ${alive} s, less than ${expired} s`;
  if (alive !== null) return `at least ${alive} s (the longest wait tried)`;
  return expired === null ? undefined : `less than ${expired} s`;
}

/** Text lines for one logical server (`index` counts from 1). */
export function formatReportText(report: NatServerReport, index: number): string[] {
  const head = `server ${index}: ${report.server}`;
  if (report.problem !== null) return [head, `  ${report.problem}`];
  const known = (value: string): string | undefined => (value === 'unknown' ? undefined : value);
  const lines = [
    head,
    `  answered by:      ${report.answeredBy ?? `none of ${report.queried.join(', ')}`}${report.rttMs === null ? '' : ` in ${report.rttMs} ms`}`,
    `  external address: ${report.externalAddress ?? 'unknown'}`,
    `  behind a NAT:     ${verdictText(report, 'natPresent', yesNo(report.natPresent))}`,
    `  classic type:     ${verdictText(report, 'classic', known(words(report.classic)))}  (RFC 3489)`,
    `  mapping:          ${verdictText(report, 'mapping', known(words(report.mapping)))}  (RFC 5780)`,
    `  filtering:        ${verdictText(report, 'filtering', known(words(report.filtering)))}  (RFC 5780)`,
    `  hairpinning:      ${verdictText(report, 'hairpinning', yesNo(report.hairpinning))}`,
  ];
  if (report.bindingLifetime !== undefined) {
    const text = lifetimeText(report.bindingLifetime);
    lines.push(`  binding lifetime: ${verdictText(report, 'bindingLifetime', text)}`);
  }
  return lines;
}
