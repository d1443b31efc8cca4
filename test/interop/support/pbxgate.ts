// pbxgate as a real process: `node --import tsx src/main.ts start --config FILE` from the repo
// root, with the YAML written to a temporary directory (its stateDir too, unless the YAML says).

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type RunningProcess, type ToolResult, runTool, startProcess } from './process.ts';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export type LogLine = Readonly<Record<string, unknown>>;

export interface Pbxgate {
  readonly process: RunningProcess;
  readonly dir: string;
  readonly configFile: string;
  /** Every JSON line on stdout so far. */
  logs(): LogLine[];
  /**
   * The first log line that `matches`, waiting up to `timeoutMs` for it: a line logged before the
   * client saw its answer may still be on its way through the pipe.
   */
  waitForLog(matches: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine | undefined>;
  /** The `listen` values of the "stun listening" lines, e.g. udp://127.0.0.1:13578. */
  listening(): string[];
}

export const STARTED = '"msg":"pbxgate started"';

/** JSON log lines of a pino process; other lines (npm banners, stack traces) are skipped. */
export function parseLogLines(text: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const value: unknown = JSON.parse(line);
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        lines.push(value as LogLine);
      }
    } catch {
      // a partial line still being written
    }
  }
  return lines;
}

export function listenedOn(lines: readonly LogLine[]): string[] {
  return lines.flatMap((line) =>
    line['msg'] === 'stun listening' && typeof line['listen'] === 'string' ? [line['listen']] : [],
  );
}

export async function startPbxgate(t: TestContext, yamlText: string): Promise<Pbxgate> {
  const dir = await mkdtemp(join(tmpdir(), 'pbxgate-interop-'));
  const configFile = join(dir, 'pbxgate.yaml');
  const starting = (async () => {
    await writeFile(configFile, yamlText);
    return startProcess(
      t,
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', 'start', '--config', configFile],
      { cwd: repoRoot, readyWhen: (out) => out.includes(STARTED), readyTimeoutMs: 30_000 },
    );
  })();
  // startProcess has registered stop() by now; t.after hooks run in order, so this runs after it.
  const running = await starting.finally(() => {
    t.after(() => rm(dir, { recursive: true, force: true }));
  });
  return {
    process: running,
    dir,
    configFile,
    logs: () => parseLogLines(running.stdout()),
    waitForLog: async (matches, timeoutMs = 5000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = parseLogLines(running.stdout()).find(matches);
        if (found !== undefined || Date.now() >= deadline) return found;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    listening: () => listenedOn(parseLogLines(running.stdout())),
  };
}

/** `node --import tsx src/main.ts ARGS` (the pbxgate CLI) run to its end. */
export function runPbxgateCli(args: readonly string[], timeoutMs = 20_000): Promise<ToolResult> {
  return runTool(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: repoRoot,
    timeoutMs,
  });
}

export interface StunYaml {
  readonly listen: readonly string[];
  readonly alternate?: { readonly address: string; readonly port: number };
  readonly software?: string;
}

/** A config with only a stun section (state beside the config file). */
export function stunConfig(stun: StunYaml): string {
  const lines = ['stateDir: state', 'log: { level: info }', 'stun:'];
  lines.push(`  listen: [${stun.listen.join(', ')}]`);
  if (stun.alternate) {
    lines.push(`  alternate: { address: ${stun.alternate.address}, port: ${stun.alternate.port} }`);
  }
  if (stun.software !== undefined) lines.push(`  software: ${JSON.stringify(stun.software)}`);
  return `${lines.join('\n')}\n`;
}
