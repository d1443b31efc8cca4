// TURN relay: the same turnutils_uclient load against coturn and pbxgate, same machine, same run,
// each server started fresh per measurement, the order alternating by run.
// npm run bench:turn   (knobs: RUNS=1 SCENARIOS=paced-100,paced-100-echo,flood-10,flood-50,flood-100
//                       TRANSPORTS=udp,tcp SERVERS=coturn,pbxgate PBXGATE_ENTRY=dist/main.js
//                       PBXGATE_NODE_ARGS='--cpu-prof --cpu-prof-dir=DIR' node flags for pbxgate
//                       PIN=on|off LOAD_SCHED=normal|batch)
//
// uclient -y pairs its sessions: a message goes client A -> A's relay -> B's relay -> client B, two
// server forwards per delivered message. "-echo" scenarios send to turnutils_peer instead, which
// echoes: client -> relay -> peer -> relay -> client, again two forwards per delivered message.
// "paced" = -z 20: one 160-byte packet per 20 ms per session (a G.711 call leg), 500 per session;
// "flood" = -z 0, 600 000 messages in all.
// Server CPU per delivered message = the server's utime + stime over the uclient run / messages
// received. See shared/reference/coturn-recipes.md §6 and §8 for the tool and coturn's own figures.
//
// PIN=on runs the server on CPU 0 and uclient and turnutils_peer on CPU 1 (taskset); the default,
// PIN=off, leaves them to the scheduler. Sharing the CPUs, the server is preempted by uclient at
// almost every datagram it sends it (pbxgate: 49 000 involuntary context switches for 50 000
// messages, 116 pinned; see docs/BENCHMARKS.md), but CPU per message was no less noisy pinned.
// LOAD_SCHED=batch starts uclient and turnutils_peer as SCHED_BATCH tasks (chrt): their wakeups no
// longer preempt the server, as a client on another host would not (pbxgate then is hardly ever
// preempted, yet its CPU per message barely changes: docs/BENCHMARKS.md); the default is normal.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  PASSWORD,
  type TurnServerName,
  USER,
  type Launch,
  launched,
  startEchoPeer,
  startTurnServer,
} from './servers.ts';
import { pbxgateEntry } from '../stun/servers.ts';
import { listKnob, oneOfKnob, positiveKnob } from '../support/knobs.ts';

interface Scenario {
  readonly name: string;
  readonly sessions: number;
  readonly messagesPerSession: number;
  readonly gapMs: number;
  /** Who answers: the paired uclient session (-y), or turnutils_peer echoing every datagram. */
  readonly peer: 'client' | 'echo';
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'paced-100', sessions: 100, messagesPerSession: 500, gapMs: 20, peer: 'client' },
  { name: 'paced-100-echo', sessions: 100, messagesPerSession: 500, gapMs: 20, peer: 'echo' },
  { name: 'flood-10', sessions: 10, messagesPerSession: 60_000, gapMs: 0, peer: 'client' },
  { name: 'flood-50', sessions: 50, messagesPerSession: 12_000, gapMs: 0, peer: 'client' },
  { name: 'flood-100', sessions: 100, messagesPerSession: 6000, gapMs: 0, peer: 'client' },
];

type Transport = 'udp' | 'tcp';

interface Result {
  readonly run: number;
  readonly server: TurnServerName;
  readonly scenario: string;
  readonly transport: Transport;
  readonly sent: number;
  readonly received: number;
  readonly peakPerSecond: number;
  readonly lossPercent: number;
  readonly microsPerMessage: number;
  /** The user-space part of microsPerMessage (the rest is the kernel's, on the server's behalf). */
  readonly userMicrosPerMessage: number;
  /** Times the server was preempted per message (see PIN above), and gave up the CPU per message. */
  readonly involuntaryPerMessage: number;
  readonly voluntaryPerMessage: number;
}

/** Runs uclient, against the paired session or the echo peer on `echoPort`; its output. */
function uclient(
  port: number,
  scenario: Scenario,
  transport: Transport,
  echoPort: number,
  launch: Launch,
): Promise<string> {
  const args = [
    ...(scenario.peer === 'client' ? ['-y'] : ['-e', '127.0.0.1', '-r', String(echoPort)]),
    '-c',
    '-u',
    USER,
    '-w',
    PASSWORD,
    '-p',
    String(port),
    '-n',
    String(scenario.messagesPerSession),
    '-m',
    String(scenario.sessions),
    '-l',
    '160',
    '-z',
    String(scenario.gapMs),
    ...(transport === 'tcp' ? ['-t'] : []),
    '127.0.0.1',
  ];
  return new Promise((done, fail) => {
    const child = spawn(...launched(launch, 'turnutils_uclient', args), {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.once('error', fail);
    child.once('exit', () => {
      clearTimeout(timer);
      done(out);
    });
  });
}

/** Final totals and the best one-second delivery rate from uclient's per-second progress lines. */
function parse(output: string): { sent: number; received: number; peak: number } | undefined {
  const progress = [
    ...output.matchAll(
      /^(\d+): : start_mclient: msz=\d+, tot_send_msgs=(\d+), tot_recv_msgs=(\d+)/gm,
    ),
  ];
  const final = [...output.matchAll(/start_mclient: tot_send_msgs=(\d+), tot_recv_msgs=(\d+)/g)].at(
    -1,
  );
  if (final === undefined) return undefined;
  let peak = 0;
  for (let i = 1; i < progress.length; i++) {
    const seconds = Number(progress[i]?.[1]) - Number(progress[i - 1]?.[1]);
    const delivered = Number(progress[i]?.[3]) - Number(progress[i - 1]?.[3]);
    if (seconds > 0) peak = Math.max(peak, delivered / seconds);
  }
  return { sent: Number(final[1]), received: Number(final[2]), peak };
}

/** Where the server and the load run (PIN), and whether the load is a batch task (LOAD_SCHED). */
interface Placement {
  readonly server: Launch;
  readonly load: Launch;
}

async function measure(
  server: TurnServerName,
  scenario: Scenario,
  transport: Transport,
  run: number,
  dir: string,
  entry: string,
  placement: Placement,
): Promise<Result> {
  mkdirSync(dir, { recursive: true });
  const echo = scenario.peer === 'echo' ? await startEchoPeer(dir, placement.load) : undefined;
  try {
    const under = await startTurnServer(server, dir, entry, placement.server);
    try {
      const before = under.cpuTimes();
      const switchesBefore = under.contextSwitches();
      const output = await uclient(
        under.port,
        scenario,
        transport,
        echo?.port ?? 0,
        placement.load,
      );
      const after = under.cpuTimes();
      const switchesAfter = under.contextSwitches();
      const totals = parse(output);
      if (totals === undefined)
        throw new Error(
          `${server} ${scenario.name}: no totals from uclient:\n${output.slice(-2000)}`,
        );
      const perMessage = (amount: number): number =>
        totals.received === 0 ? Number.NaN : amount / totals.received;
      return {
        run,
        server,
        scenario: scenario.name,
        transport,
        sent: totals.sent,
        received: totals.received,
        peakPerSecond: Math.round(totals.peak),
        lossPercent:
          totals.sent === 0 ? 100 : (100 * (totals.sent - totals.received)) / totals.sent,
        microsPerMessage: perMessage(
          after.userMicros + after.systemMicros - before.userMicros - before.systemMicros,
        ),
        userMicrosPerMessage: perMessage(after.userMicros - before.userMicros),
        involuntaryPerMessage: perMessage(switchesAfter.involuntary - switchesBefore.involuntary),
        voluntaryPerMessage: perMessage(switchesAfter.voluntary - switchesBefore.voluntary),
      };
    } finally {
      await under.stop();
    }
  } finally {
    await echo?.stop();
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function row(cells: readonly (string | number)[]): string {
  return `| ${cells.join(' | ')} |`;
}

/** PIN and LOAD_SCHED. */
function placementOf(env: NodeJS.ProcessEnv): Placement {
  const apart = oneOfKnob(env, 'PIN', ['on', 'off'], 'off') === 'on';
  if (apart && cpus().length < 2) throw new Error('PIN=on needs 2 CPUs');
  const batch = oneOfKnob(env, 'LOAD_SCHED', ['normal', 'batch'], 'normal') === 'batch';
  return {
    server: { cpus: apart ? '0' : undefined, batch: false },
    load: { cpus: apart ? '1' : undefined, batch },
  };
}

function describe(placement: Placement): string[] {
  return [
    placement.server.cpus === undefined
      ? 'placement: not pinned (PIN=off): server and load share the CPUs'
      : `placement: server on CPU ${placement.server.cpus}, uclient and turnutils_peer on CPU ${placement.load.cpus ?? '?'} (taskset)`,
    placement.load.batch
      ? 'load scheduling: uclient and turnutils_peer as SCHED_BATCH (LOAD_SCHED=batch): they do not preempt the server'
      : 'load scheduling: normal (LOAD_SCHED=normal)',
  ];
}

async function main(): Promise<void> {
  const runs = positiveKnob(process.env, 'RUNS', 1);
  const servers = listKnob<TurnServerName>(
    process.env,
    'SERVERS',
    ['coturn', 'pbxgate'],
    ['coturn', 'pbxgate'],
  );
  const names = SCENARIOS.map((s) => s.name);
  const scenarios = listKnob(process.env, 'SCENARIOS', names, names).flatMap((name) =>
    SCENARIOS.filter((s) => s.name === name),
  );
  const transports = listKnob<Transport>(process.env, 'TRANSPORTS', ['udp', 'tcp'], ['udp', 'tcp']);
  const entryText = process.env['PBXGATE_ENTRY'];
  const entry = entryText === undefined || entryText === '' ? pbxgateEntry : resolve(entryText);
  const placement = placementOf(process.env);
  const root = mkdtempSync(join(tmpdir(), 'pbxgate-bench-turn-'));
  console.log(
    `machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    `load: turnutils_uclient -y|-e 127.0.0.1 -r <echo port> -c -u ${USER} -w … -n <per session> -m <sessions> -l 160 -z <gap> [-t] 127.0.0.1`,
  );
  for (const line of describe(placement)) console.log(line);
  const results: Result[] = [];
  try {
    for (let run = 1; run <= runs; run++) {
      const order = run % 2 === 1 ? servers : [...servers].reverse();
      for (const transport of transports) {
        for (const scenario of scenarios) {
          for (const server of order) {
            const result = await measure(
              server,
              scenario,
              transport,
              run,
              join(root, `${run}-${transport}-${scenario.name}-${server}`),
              entry,
              placement,
            );
            results.push(result);
            console.log(
              `run ${run} ${transport} ${scenario.name} ${server}: sent ${result.sent}, received ${result.received}, ` +
                `loss ${result.lossPercent.toFixed(2)} %, peak ${result.peakPerSecond}/s, ${result.microsPerMessage.toFixed(1)} µs/msg ` +
                `(${result.userMicrosPerMessage.toFixed(1)} user), context switches per msg ` +
                `${result.voluntaryPerMessage.toFixed(2)} voluntary, ${result.involuntaryPerMessage.toFixed(2)} preempted`,
            );
          }
        }
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  console.log(`\nmedians over ${runs} run(s)`);
  console.log(
    row([
      'transport',
      'scenario',
      'server',
      'delivered/s (peak)',
      'loss %',
      'server µs/msg',
      'µs/msg vs coturn',
    ]),
  );
  console.log(row(['---', '---', '---', '---', '---', '---', '---']));
  for (const transport of transports) {
    for (const scenario of scenarios) {
      const of = (server: TurnServerName): Result[] =>
        results.filter(
          (r) => r.transport === transport && r.scenario === scenario.name && r.server === server,
        );
      const coturnMicros = median(of('coturn').map((r) => r.microsPerMessage));
      for (const server of servers) {
        const rows = of(server);
        if (rows.length === 0) continue;
        const micros = median(rows.map((r) => r.microsPerMessage));
        console.log(
          row([
            transport,
            scenario.name,
            server,
            median(rows.map((r) => r.peakPerSecond)),
            median(rows.map((r) => r.lossPercent)).toFixed(2),
            micros.toFixed(1),
            server === 'coturn' || !(coturnMicros > 0)
              ? '-'
              : `${(micros / coturnMicros).toFixed(2)}x`,
          ]),
        );
      }
    }
  }
}

await main();
