// argv -> cli/<command>.ts, nothing else.

import { readFileSync } from 'node:fs';
import { PbxgateError } from './errors.ts';
import { type CommandIo, processIo } from './cli/args.ts';
import { blacklistUsage, runBlacklist, runWhitelist, whitelistUsage } from './cli/blacklist.ts';
import { checkUsage, runCheck } from './cli/check.ts';
import { hashPasswordUsage, runHashPassword } from './cli/hash-password.ts';
import { natTypeUsage, runNatType } from './cli/nat-type.ts';
import { runStart, startUsage } from './cli/start.ts';
import { runStun, stunUsage } from './cli/stun.ts';
import { runTurnCredentials, turnCredentialsUsage } from './cli/turn-credentials.ts';

const commands: Record<string, (argv: readonly string[], io: CommandIo) => Promise<number>> = {
  start: runStart,
  check: runCheck,
  stun: runStun,
  'nat-type': runNatType,
  'hash-password': runHashPassword,
  'turn-credentials': runTurnCredentials,
  blacklist: runBlacklist,
  whitelist: runWhitelist,
};

function usage(): string {
  return [
    'usage:',
    `  ${startUsage}`,
    `  ${checkUsage}`,
    `  ${stunUsage}`,
    `  ${natTypeUsage}`,
    `  ${hashPasswordUsage}`,
    `  ${turnCredentialsUsage}`,
    `  ${blacklistUsage}`,
    `  ${whitelistUsage}`,
    '  pbxgate --version',
  ].join('\n');
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    processIo.out(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    processIo.out(version());
    return 0;
  }
  const command = commands[name];
  if (!command) {
    processIo.err(`pbxgate: unknown command "${name}"\n${usage()}`);
    return 2;
  }
  try {
    return await command(rest, processIo);
  } catch (err) {
    if (err instanceof PbxgateError && err.code === 'PBX_ERR_USAGE') {
      processIo.err(`${err.message}\n${usage()}`);
      return 2;
    }
    throw err;
  }
}

process.on('uncaughtException', (err) => {
  process.stderr.write(`pbxgate: fatal: ${err.stack ?? err.message}\n`);
  process.exit(70);
});

process.exitCode = await main(process.argv.slice(2));
