// `pbxgate check --config FILE`: validate a config and print every problem with its position.

import { ConfigError } from '../config/config-error.ts';
import { embeddedConfigPath, loadConfigFile } from '../config/load.ts';
import { type CommandIo, type ExitCode, parseCommandArgs } from './args.ts';

export const checkUsage =
  'pbxgate check [--config FILE]   validate a config file (default: the embedded one)';

export async function runCheck(argv: readonly string[], io: CommandIo): Promise<ExitCode> {
  const { values } = parseCommandArgs(argv, { config: { type: 'string', short: 'c' } }, 'check');
  const file = values.config ?? embeddedConfigPath;
  try {
    await loadConfigFile(file);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const line of err.message.split('\n')) io.err(line);
    io.err(`${file}: ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}`);
    return 1;
  }
  io.out(`${file}: ok`);
  return 0;
}
