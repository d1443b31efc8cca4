// The top functions of a V8 .cpuprofile (node --cpu-prof) by self time, and by total time.
// node --import tsx bench/stun/profile-top.ts FILE.cpuprofile [N] [SKIP_SECONDS]

import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly startTime: number;
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const root = new URL('../../', import.meta.url).pathname;

/** dist/x/y.js is compiled from src/x/y.ts file for file; the line is the compiled one, 1-based. */
function placeOf(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName === '' ? '(anonymous)' : functionName;
  if (url === '') return name;
  const path = url.startsWith('file://') ? relative(root, new URL(url).pathname) : url;
  // Any build directory named dist (ours, or a patched copy elsewhere) maps onto src/.
  const source = path.includes('node_modules/')
    ? path
    : path.replace(/^(?:.*\/)?dist\/(.*)\.js$/, 'src/$1.ts');
  return `${source}:${name} (line ${lineNumber + 1}${source === path ? '' : ' of the .js'})`;
}

/** Time per node, from samples taken at least `skipMicros` after the profile started. */
function selfTimes(profile: CpuProfile, skipMicros: number): Map<number, number> {
  const self = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    // timeDeltas[i] is the time before sample i; it is charged to the node that sample hit.
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at - profile.startTime >= skipMicros) self.set(id, (self.get(id) ?? 0) + delta);
  });
  return self;
}

/** Self and total time per function (a function appearing twice on one stack counts once). */
function aggregate(
  profile: CpuProfile,
  skipMicros: number,
): { self: Map<string, number>; total: Map<string, number> } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const nodeSelf = selfTimes(profile, skipMicros);
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const walk = (id: number, onStack: ReadonlySet<string>): number => {
    const node = byId.get(id);
    if (!node) return 0;
    const place = placeOf(node);
    const mine = nodeSelf.get(id) ?? 0;
    self.set(place, (self.get(place) ?? 0) + mine);
    const stack = new Set(onStack).add(place);
    let sum = mine;
    for (const child of node.children ?? []) sum += walk(child, stack);
    if (!onStack.has(place)) total.set(place, (total.get(place) ?? 0) + sum);
    return sum;
  };
  const rootNode = profile.nodes[0];
  if (rootNode) walk(rootNode.id, new Set());
  return { self, total };
}

function top(times: Map<string, number>, busy: number, count: number, skip: RegExp): string[] {
  return [...times.entries()]
    .filter(([place]) => !skip.test(place))
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([place, micros]) => `${((100 * micros) / busy).toFixed(1).padStart(5)} %  ${place}`);
}

function main(argv: readonly string[]): number {
  const [file, countText = '25', skipText = '0'] = argv;
  if (file === undefined) {
    process.stderr.write('usage: profile-top.ts FILE.cpuprofile [N] [SKIP_SECONDS]\n');
    return 2;
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  // Skipping the first seconds leaves start-up (module loading) and warm-up out.
  const { self, total } = aggregate(profile, Number(skipText) * 1e6);
  const all = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = self.get('(idle)') ?? 0;
  const busy = all - idle;
  const count = Number(countText);
  const out = [
    `${file}: ${(all / 1e6).toFixed(1)} s sampled after the first ${skipText} s, ${(busy / 1e6).toFixed(1)} s busy; % of busy time`,
    '',
    'self time:',
    ...top(self, busy, count, /^\(idle\)$/),
    '',
    'total time (self + callees):',
    ...top(total, busy, count, /^\((idle|root|program)\)$/),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
