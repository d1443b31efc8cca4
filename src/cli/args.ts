// Command-line parsing shared by the commands (node:util parseArgs), with usage errors as values.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { PbxgateError } from '../errors.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseCommandArgs<O extends Options>(
  argv: readonly string[],
  options: O,
  command: string,
) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new PbxgateError('PBX_ERR_USAGE', `pbxgate ${command}: ${message}`);
  }
}

/** What a command returns: the process exit code. */
export type ExitCode = number;

export interface CommandIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

export const processIo: CommandIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};
