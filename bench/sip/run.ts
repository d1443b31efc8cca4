// SIP REGISTER rate over one TCP connection: sipp -> Kamailio registrar directly, and sipp ->
// pbxgate (sip-tcp listener, routing by the From domain) -> the same Kamailio, in the same run, the
// target order alternating by run. The rate steps up (T1_RATES); per target the highest rate with
// no failed call that sipp still achieves at >= 95 % of the target is its max clean rate.
// Goal (the issue): pbxgate's max clean rate at least 0.9x direct's.
// npm run bench:sip   (knobs: see settings.ts or --help; recipe: shared/reference/peer-bench/sip.sh)
//
// Per (run, mode): a fresh Kamailio (and pbxgate, and HAProxy if asked) on free loopback ports, a
// functional check (20 REGISTERs at 50/s must all succeed through every target), then the steps.
// CPU per REGISTER = the process tree's utime + stime over the sipp run / successful REGISTERs (with
// digest auth one REGISTER is two requests: 401 challenge, then the one with credentials).

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pbxgateEntry } from '../stun/servers.ts';
import { requireTool, toolVersion } from '../http/servers.ts';
import { type Started, commandLine, loadAverage, machineLine, runBenchMain } from './harness.ts';
import { MIN_ACHIEVED, type Step, runTable, stepLine, summaryTable } from './report.ts';
import {
  type KamailioMode,
  USER_COUNT,
  kamailioModulesDir,
  startHaproxy,
  startKamailio,
  startPbxgate,
  writeUsers,
} from './servers.ts';
import {
  type SipSettings,
  type TargetName,
  knobs,
  readSettings,
  settingsHelp,
} from './settings.ts';
import { SIPP_TEMPLATE, runSipp, sippVersion } from './sipp.ts';

const CHECK_RATE = 50;
const CHECK_CALLS = 20;

interface Stand {
  readonly kamailio: Started;
  /** The process sipp talks to, per target (Kamailio itself for direct). */
  readonly front: ReadonlyMap<TargetName, Started>;
  readonly usersFile: string;
  readonly dir: string;
}

async function startStand(
  settings: SipSettings,
  mode: KamailioMode,
  dir: string,
  signal: AbortSignal,
): Promise<Stand> {
  mkdirSync(dir, { recursive: true });
  const usersFile = join(dir, 'users.csv');
  writeUsers(usersFile);
  const kamailio = await startKamailio(join(dir, 'kamailio'), mode, settings.tcpChildren, signal);
  const front = new Map<TargetName, Started>();
  try {
    for (const target of settings.targets) {
      const at = join(dir, target);
      mkdirSync(at, { recursive: true });
      if (target === 'direct') front.set(target, kamailio);
      else if (target === 'pbxgate')
        front.set(target, await startPbxgate(at, settings.pbxgateEntry, kamailio.port, signal));
      else front.set(target, await startHaproxy(at, kamailio.port, false, signal));
    }
  } catch (err) {
    await stopStand({ kamailio, front, usersFile, dir });
    throw err;
  }
  return { kamailio, front, usersFile, dir };
}

async function stopStand(stand: Stand): Promise<void> {
  for (const server of stand.front.values()) if (server !== stand.kamailio) await server.stop();
  await stand.kamailio.stop();
}

function frontOf(stand: Stand, target: TargetName): Started {
  const server = stand.front.get(target);
  if (server === undefined) throw new Error(`${target} was not started`);
  return server;
}

async function step(
  stand: Stand,
  where: { run: number; mode: KamailioMode; target: TargetName },
  rate: number,
  calls: number,
  signal: AbortSignal,
): Promise<Step> {
  const front = frontOf(stand, where.target);
  const relay = front === stand.kamailio ? undefined : front;
  const sippDir = join(stand.dir, `sipp-${where.target}`);
  mkdirSync(sippDir, { recursive: true });
  const kam0 = stand.kamailio.cpuMicros();
  const relay0 = relay?.cpuMicros() ?? 0;
  const sipp = await runSipp(
    { port: front.port, mode: where.mode, rate, calls, usersFile: stand.usersFile, dir: sippDir },
    signal,
  );
  const kamMicros = stand.kamailio.cpuMicros() - kam0;
  const relayMicros = relay === undefined ? NaN : relay.cpuMicros() - relay0;
  const achieved = sipp.ok / sipp.wallSeconds;
  const clean = sipp.failed === 0 && sipp.ok === calls && achieved >= MIN_ACHIEVED * rate;
  const percent = (micros: number): number => micros / (sipp.wallSeconds * 10_000);
  const result: Step = {
    ...where,
    rate,
    calls,
    ok: sipp.ok,
    failed: sipp.failed,
    wallSeconds: sipp.wallSeconds,
    achieved,
    clean,
    kamailioMicrosPerRegister: sipp.ok === 0 ? NaN : kamMicros / sipp.ok,
    relayMicrosPerRegister: sipp.ok === 0 ? NaN : relayMicros / sipp.ok,
    relayCpuPercent: percent(relayMicros),
    sippCpuPercent: percent(sipp.sippCpuMicros),
  };
  if (!clean && sipp.errors !== '') {
    process.stdout.write(
      `  sipp exit ${sipp.exitCode}; its errors end with:\n${sipp.errors.slice(-600)}\n`,
    );
  }
  return result;
}

async function measureMode(
  settings: SipSettings,
  run: number,
  mode: KamailioMode,
  order: readonly TargetName[],
  dir: string,
  signal: AbortSignal,
): Promise<Step[]> {
  const stand = await startStand(settings, mode, dir, signal);
  const steps: Step[] = [];
  try {
    for (const target of order) {
      const check = await step(stand, { run, mode, target }, CHECK_RATE, CHECK_CALLS, signal);
      if (check.ok !== CHECK_CALLS || check.failed !== 0)
        throw new Error(`functional check failed: ${stepLine(check)}`);
    }
    for (const rate of settings.rates) {
      let anyClean = false;
      for (const target of order) {
        const s = await step(
          stand,
          { run, mode, target },
          rate,
          rate * settings.stepSeconds,
          signal,
        );
        process.stdout.write(`${stepLine(s)}\n`);
        steps.push(s);
        anyClean ||= s.clean;
      }
      if (!anyClean) break; // no target kept up at this rate: stop stepping up
    }
  } finally {
    await stopStand(stand);
  }
  return steps;
}

function header(settings: SipSettings): string {
  const haproxy = settings.targets.includes('haproxy') ? `; ${toolVersion('haproxy', ['-v'])}` : '';
  return [
    `command: ${commandLine(knobs(settings))}`,
    machineLine(),
    `load average at start: ${loadAverage()}`,
    `${toolVersion('kamailio', ['-v'])}; ${sippVersion()}${haproxy}`,
    `kamailio: bench/sip/kamailio-registrar.cfg, modules ${kamailioModulesDir()}, tcp_children ${settings.tcpChildren}, usrloc in memory, 1 contact per AoR, ${USER_COUNT} users`,
    `load: ${SIPP_TEMPLATE}`,
    `clean = 0 failed, all calls done, achieved >= ${MIN_ACHIEVED * 100} % of the rate; stepping stops at the first rate no target keeps up with`,
  ].join('\n');
}

async function bench(settings: SipSettings, root: string, signal: AbortSignal): Promise<void> {
  process.stdout.write(`${header(settings)}\n`);
  const all: Step[] = [];
  const maxRate = Math.max(...settings.rates);
  for (let run = 1; run <= settings.runs; run++) {
    const order = run % 2 === 1 ? settings.targets : [...settings.targets].reverse();
    const steps: Step[] = [];
    for (const mode of settings.modes) {
      steps.push(
        ...(await measureMode(settings, run, mode, order, join(root, `${run}-${mode}`), signal)),
      );
    }
    all.push(...steps);
    process.stdout.write(
      `\nrun ${run}/${settings.runs}\n${runTable(steps, settings.targets, maxRate)}\n\n`,
    );
  }
  process.stdout.write(
    `medians over ${settings.runs} run(s) (goal: pbxgate / direct >= 0.9)\n${summaryTable(all, settings.targets, settings.modes, maxRate)}\n`,
  );
}

process.exitCode = await runBenchMain<SipSettings>(
  'sip',
  `usage: [VAR=value ...] node --import tsx bench/sip/run.ts\n${settingsHelp}`,
  () => {
    const settings = readSettings(process.env, pbxgateEntry);
    requireTool('kamailio');
    requireTool('sipp');
    if (settings.targets.includes('haproxy')) requireTool('haproxy');
    return settings;
  },
  bench,
);
