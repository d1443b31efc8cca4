// `pbxgate blacklist …` and `pbxgate whitelist …`: the fraud lists of a running gateway, through its
// admin API (docs/ADMIN.md).

import { z } from 'zod';
import { PbxgateError } from '../errors.ts';
import {
  type AdminCliContext,
  type AdminTarget,
  adminClientOptions,
  adminClientUsage,
  callAdmin,
  formatTable,
  processAdminCliContext,
  resolveAdminTarget,
} from './admin-client.ts';
import { type CommandIo, type ExitCode, parseCommandArgs } from './args.ts';

export const blacklistUsage = `pbxgate blacklist list | add IP [--minutes N] | remove IP | promote IP ${adminClientUsage}`;
export const whitelistUsage = `pbxgate whitelist list | add CIDR | remove CIDR ${adminClientUsage}`;

const blacklistEntry = z.object({
  key: z.string(),
  reason: z.string(),
  since: z.number(),
  until: z.number().nullable(),
  manual: z.boolean(),
});
const whitelistEntry = z.object({ cidr: z.string(), source: z.string() });
const snapshot = z.object({
  blacklist: z.array(blacklistEntry),
  whitelist: z.array(whitelistEntry),
});

type List = 'blacklist' | 'whitelist';

export async function runBlacklist(
  argv: readonly string[],
  io: CommandIo,
  context: AdminCliContext = processAdminCliContext,
): Promise<ExitCode> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { ...adminClientOptions, minutes: { type: 'string' } },
    'blacklist',
  );
  const [verb, ip] = verbAndArgument(positionals, ['add', 'remove', 'promote'], 'blacklist', 'IP');
  if (values.minutes !== undefined && verb !== 'add')
    throw usageError('blacklist', '--minutes goes with add');
  const minutes = values.minutes === undefined ? undefined : parseMinutes(values.minutes);
  const target = await resolveAdminTarget(values, context);
  if (!target.ok) return failed(io, 'blacklist', target.message);
  const session = createSession(io, 'blacklist', target.value, values.json);
  const path = `/api/fraud/blacklist/${encodeURIComponent(ip)}`;
  switch (verb) {
    case 'list':
      return session.list();
    case 'add':
      return session.send('POST', '/api/fraud/blacklist', { ip, minutes }, blacklistEntry, (e) =>
        e.until === null
          ? `blacklisted ${e.key} until removed`
          : `blacklisted ${e.key} until ${time(e.until)}`,
      );
    case 'remove':
      return session.send(
        'DELETE',
        path,
        undefined,
        z.undefined(),
        () => `removed ${ip} from the blacklist`,
      );
    case 'promote':
      return session.send(
        'POST',
        `${path}/promote`,
        undefined,
        whitelistEntry,
        (e) => `moved ${ip} to the whitelist as ${e.cidr}`,
      );
  }
}

export async function runWhitelist(
  argv: readonly string[],
  io: CommandIo,
  context: AdminCliContext = processAdminCliContext,
): Promise<ExitCode> {
  const { values, positionals } = parseCommandArgs(argv, adminClientOptions, 'whitelist');
  const [verb, cidr] = verbAndArgument(positionals, ['add', 'remove'], 'whitelist', 'CIDR');
  const target = await resolveAdminTarget(values, context);
  if (!target.ok) return failed(io, 'whitelist', target.message);
  const session = createSession(io, 'whitelist', target.value, values.json);
  switch (verb) {
    case 'list':
      return session.list();
    case 'add':
      return session.send(
        'POST',
        '/api/fraud/whitelist',
        { cidr },
        whitelistEntry,
        (e) => `whitelisted ${e.cidr}`,
      );
    case 'remove':
      return session.send(
        'DELETE',
        `/api/fraud/whitelist/${encodeURIComponent(cidr)}`,
        undefined,
        z.undefined(),
        () => `removed ${cidr} from the whitelist`,
      );
  }
}

function createSession(io: CommandIo, command: List, target: AdminTarget, json: boolean) {
  const call = async <T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body: object | undefined,
    schema: z.ZodType<T>,
  ): Promise<{ value: T } | undefined> => {
    const result = await callAdmin(target, method, path, body);
    if (!result.ok) return void failed(io, command, result.message);
    const parsed = schema.safeParse(result.value);
    if (!parsed.success)
      return void failed(io, command, `unexpected answer from ${target.baseUrl}${path}`);
    return { value: parsed.data };
  };
  return {
    async list(): Promise<ExitCode> {
      const answer = await call('GET', '/api/fraud', undefined, snapshot);
      if (!answer) return 1;
      const entries = answer.value[command];
      if (json) io.out(JSON.stringify(entries, null, 2));
      else if (entries.length === 0) io.out(`the ${command} is empty`);
      else for (const line of tableOf(answer.value, command)) io.out(line);
      return 0;
    },
    async send<T>(
      method: 'POST' | 'DELETE',
      path: string,
      body: object | undefined,
      schema: z.ZodType<T>,
      describe: (value: T) => string,
    ): Promise<ExitCode> {
      const answer = await call(method, path, body, schema);
      if (!answer) return 1;
      if (!json) io.out(describe(answer.value));
      else if (answer.value !== undefined) io.out(JSON.stringify(answer.value, null, 2));
      return 0;
    },
  };
}

function tableOf(lists: z.output<typeof snapshot>, command: List): string[] {
  if (command === 'whitelist')
    return formatTable(
      ['CIDR', 'SOURCE'],
      lists.whitelist.map((e) => [e.cidr, e.source]),
    );
  return formatTable(
    ['KEY', 'REASON', 'SINCE', 'UNTIL', 'MANUAL'],
    lists.blacklist.map((e) => [
      e.key,
      e.reason,
      time(e.since),
      e.until === null ? 'until removed' : time(e.until),
      e.manual ? 'yes' : 'no',
    ]),
  );
}

function verbAndArgument<V extends string>(
  positionals: readonly string[],
  verbs: readonly V[],
  command: List,
  argument: string,
): ['list', string] | [V, string] {
  const [verb, value, ...extra] = positionals;
  const expected = `expected list, ${verbs.map((v) => `${v} ${argument}`).join(', ')}`;
  if (extra.length > 0) throw usageError(command, `too many arguments: ${expected}`);
  if (verb === 'list' && value === undefined) return ['list', ''];
  const known = verbs.find((v) => v === verb);
  if (known === undefined || value === undefined) throw usageError(command, expected);
  return [known, value];
}

function parseMinutes(text: string): number {
  if (!/^\d{1,7}$/.test(text))
    throw usageError('blacklist', '--minutes wants a whole number (0 = until removed)');
  return Number(text);
}

function usageError(command: List, message: string): PbxgateError {
  return new PbxgateError('PBX_ERR_USAGE', `pbxgate ${command}: ${message}`);
}

function failed(io: CommandIo, command: List, message: string): ExitCode {
  io.err(`pbxgate ${command}: ${message}`);
  return 1;
}

/** ISO 8601 in UTC, to the second. */
function time(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
