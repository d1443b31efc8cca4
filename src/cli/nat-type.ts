// `pbxgate nat-type`: detect the NAT in front of this host against one or two logical STUN servers.

import { ConfigError } from '../config/config-error.ts';
import { parseDuration } from '../config/duration.ts';
import { embeddedConfigPath, loadConfigFile } from '../config/load.ts';
import { PbxgateError } from '../errors.ts';
import { type DetectOptions, detectNat } from '../nat/detect.ts';
import { formatReportText, reportDetection } from '../nat/report.ts';
import {
  type LogicalStunServer,
  STUN_SERVERS_EXAMPLE,
  parseStunServerList,
} from '../nat/server-list.ts';
import { ipLiteralFamily } from '../net/listen-url.ts';
import { DEFAULT_RETRANSMIT } from '../stun/client.ts';
import { type CommandIo, type ExitCode, parseCommandArgs } from './args.ts';

export const natTypeUsage =
  'pbxgate nat-type [--stun "A;B"] [--config FILE] [--json] [--rto 500ms] [--timeout D] [--lifetime MAX] [--bind IP]   detect the NAT type (default servers: nat.stunServers)';

/** What tests inject: a resolver and this host's addresses. */
export type NatTypeDeps = Pick<DetectOptions, 'lookup' | 'localAddresses'>;

export async function runNatType(
  argv: readonly string[],
  io: CommandIo,
  deps: NatTypeDeps = {},
): Promise<ExitCode> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      stun: { type: 'string', short: 's' },
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean', default: false },
      rto: { type: 'string', default: `${DEFAULT_RETRANSMIT.rtoMs}ms` },
      timeout: { type: 'string' },
      lifetime: { type: 'string' },
      bind: { type: 'string' },
    },
    'nat-type',
  );
  if (positionals.length > 0) usageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const options = detectOptions(values, deps);
  const servers = await serversToQuery(values.stun, values.config, io);
  if (servers === undefined) return 1;

  let detections;
  try {
    detections = await detectNat(servers, options);
  } catch (err) {
    // Not a verdict: the client sockets could not even be opened (a --bind address not ours).
    io.err(`pbxgate nat-type: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  const reports = detections.map(reportDetection);
  if (values.json) {
    io.out(JSON.stringify({ servers: reports }));
  } else {
    reports.forEach((report, index) => {
      if (index > 0) io.out('');
      for (const line of formatReportText(report, index + 1)) io.out(line);
    });
  }
  // Every logical server answered: the verdicts (known or not) are the output, not a failure.
  return reports.every((report) => report.answeredBy !== null) ? 0 : 1;
}

/** The timing and socket options, each checked (a usage error names the option). */
function detectOptions(
  values: { rto: string; timeout?: string; lifetime?: string; bind?: string },
  deps: NatTypeDeps,
): DetectOptions {
  const rtoMs = durationOption('--rto', values.rto, 1) ?? DEFAULT_RETRANSMIT.rtoMs;
  const timeoutMs = durationOption('--timeout', values.timeout, 1);
  const lifetimeMaxMs = durationOption('--lifetime', values.lifetime, 1000);
  const bind = values.bind;
  if (bind !== undefined && ipLiteralFamily(bind) === undefined)
    usageError('--bind wants an IP address of this host');
  return {
    ...deps,
    retransmit: { ...DEFAULT_RETRANSMIT, rtoMs },
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(lifetimeMaxMs === undefined ? {} : { lifetimeMaxMs }),
    ...(bind === undefined ? {} : { bindAddress: bind }),
  };
}

function durationOption(
  name: string,
  text: string | undefined,
  minimumMs: number,
): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined || ms < minimumMs)
    usageError(`${name} wants a duration of at least ${minimumMs} ms, like 500ms, 5s or 2m`);
  return ms;
}

/** --stun, else nat.stunServers of the config; undefined after printing a config's problems. */
async function serversToQuery(
  stun: string | undefined,
  configFile: string | undefined,
  io: CommandIo,
): Promise<readonly LogicalStunServer[] | undefined> {
  if (stun !== undefined) {
    const list = parseStunServerList(stun);
    if (!list.ok)
      usageError(`--stun ${list.problems.join('; ')} (expected ${STUN_SERVERS_EXAMPLE})`);
    return list.servers;
  }
  const file = configFile ?? embeddedConfigPath;
  try {
    const config = await loadConfigFile(file);
    if (config.nat === undefined)
      usageError(
        `${file} has no nat.stunServers: add them, or give --stun ${STUN_SERVERS_EXAMPLE}`,
      );
    return config.nat.stunServers;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const line of err.message.split('\n')) io.err(line);
    return undefined;
  }
}

function usageError(message: string): never {
  throw new PbxgateError('PBX_ERR_USAGE', `pbxgate nat-type: ${message}`);
}
