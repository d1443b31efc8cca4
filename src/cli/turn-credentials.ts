// `pbxgate turn-credentials`: mint REST-style time-limited TURN credentials from the shared secret.

import { ConfigError } from '../config/config-error.ts';
import { parseDuration } from '../config/duration.ts';
import { embeddedConfigPath, loadConfigFile } from '../config/load.ts';
import { PbxgateError } from '../errors.ts';
import { mintRestCredentials } from '../turn/credentials.ts';
import { type CommandIo, type ExitCode, parseCommandArgs } from './args.ts';

export const turnCredentialsUsage =
  'pbxgate turn-credentials [--config FILE] [--secret S] [--user ID] [--ttl 24h] [--json]   mint time-limited TURN credentials (turn.sharedSecret)';

// What `turnutils_uclient -W` mints too: a day.
const DEFAULT_TTL = '24h';

export async function runTurnCredentials(
  argv: readonly string[],
  io: CommandIo,
  nowMs: () => number = Date.now,
): Promise<ExitCode> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      config: { type: 'string', short: 'c' },
      secret: { type: 'string' },
      user: { type: 'string', short: 'u', default: '' },
      ttl: { type: 'string', default: DEFAULT_TTL },
      json: { type: 'boolean', default: false },
    },
    'turn-credentials',
  );
  if (positionals.length > 0) usageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const ttlMs = parseDuration(values.ttl);
  if (ttlMs === undefined || ttlMs < 1000 || ttlMs % 1000 !== 0)
    usageError('--ttl wants a whole number of seconds, at least 1s, written like 24h or 3600s');

  let secret = values.secret;
  if (secret === undefined) {
    const file = values.config ?? embeddedConfigPath;
    const loaded = await firstSharedSecret(file, io);
    if (loaded.kind === 'config-error') return 1;
    secret = loaded.secret;
    if (secret === undefined)
      usageError(`${file} has no turn.sharedSecret: add one, or give --secret`);
  }
  if (secret === '') usageError('--secret must not be empty');

  const minted = mintRestCredentials(secret, values.user, ttlMs / 1000, nowMs());
  if (values.json) {
    // The shape of a TURN REST API response (draft-uberti-behave-turn-rest-00), less `uris`.
    io.out(
      JSON.stringify({ username: minted.username, password: minted.password, ttl: minted.ttl }),
    );
  } else {
    io.out(`username: ${minted.username}`);
    io.out(`password: ${minted.password}`);
    io.out(`ttl: ${minted.ttl}`);
  }
  return 0;
}

type LoadedSecret =
  | { readonly kind: 'loaded'; readonly secret: string | undefined }
  | { readonly kind: 'config-error' };

/** The secret that mints (the first of the list); a broken config is reported the way `check` does. */
async function firstSharedSecret(file: string, io: CommandIo): Promise<LoadedSecret> {
  try {
    const config = await loadConfigFile(file);
    return { kind: 'loaded', secret: config.turn?.sharedSecret[0] };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const line of err.message.split('\n')) io.err(line);
    return { kind: 'config-error' };
  }
}

function usageError(message: string): never {
  throw new PbxgateError('PBX_ERR_USAGE', `pbxgate turn-credentials: ${message}`);
}
