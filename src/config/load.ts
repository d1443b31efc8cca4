// YAML text -> validated, deep-frozen Config; every problem with its file, line, column and key.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem } from './config-error.ts';
import { configSchema, type Config } from './schema.ts';
import { UNKNOWN_KEY_MESSAGE_SEPARATOR } from './schema-fields.ts';
import { locatePath } from './yaml-position.ts';

/** config/default.yaml in the package: src/config/load.ts and dist/config/load.js are both two levels down. */
export const embeddedConfigPath = fileURLToPath(
  new URL('../../config/default.yaml', import.meta.url),
);

// The yaml package's guard against alias bombs ("billion laughs"), stated here on purpose.
const MAX_ALIAS_COUNT = 100;

export async function loadConfigFile(file: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const message = `cannot read the config file: ${describe(err)}`;
    throw new ConfigError([{ file, line: 0, column: 0, key: '', message }], { cause: err });
  }
  return parseConfigText(text, file);
}

/** Throws ConfigError listing every problem; `file` only names the source in the problems. */
export function parseConfigText(text: string, file: string): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    // YAML 1.1 tags (!!binary, !!set, !!timestamp) would yield Buffers, Sets and Dates: a config
    // holds plain mappings, lists and scalars, so those tags are left unresolved and reported.
    resolveKnownTags: false,
  });
  const yamlProblems = [...doc.errors, ...doc.warnings].map((error) =>
    yamlProblem(error, lineCounter, file),
  );
  if (yamlProblems.length > 0) throw new ConfigError(sorted(yamlProblems));

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    const message = oneLine(`cannot read the YAML: ${describe(err)}`);
    throw new ConfigError([{ file, line: 1, column: 1, key: '', message }], { cause: err });
  }

  const result = configSchema.safeParse(data);
  if (!result.success) {
    const context: IssueContext = { doc, lineCounter, file };
    throw new ConfigError(sorted(result.error.issues.flatMap((issue) => problems(issue, context))));
  }
  return deepFreeze(result.data);
}

interface IssueContext {
  readonly doc: Document;
  readonly lineCounter: LineCounter;
  readonly file: string;
}

function yamlProblem(error: YAMLError, lineCounter: LineCounter, file: string): ConfigProblem {
  const { line, col } = lineCounter.linePos(error.pos[0]);
  return { file, line, column: col, key: '', message: oneLine(error.message) };
}

function problems(issue: z.core.$ZodIssue, context: IssueContext): ConfigProblem[] {
  const path = issue.path.map((segment) =>
    typeof segment === 'symbol' ? String(segment) : segment,
  );
  if (issue.code === 'unrecognized_keys') {
    // schema-fields.ts `mapping` joins one message per key, in the order of `keys`.
    const messages = issue.message.split(UNKNOWN_KEY_MESSAGE_SEPARATOR);
    return issue.keys.map((key, index) => {
      const message =
        messages.length === issue.keys.length ? (messages[index] ?? '') : issue.message;
      return problem([...path, key], 'key', message, context);
    });
  }
  return [problem(path, 'value', issue.message, context, issue.code === 'invalid_type')];
}

function problem(
  path: readonly (string | number)[],
  target: 'key' | 'value',
  message: string,
  { doc, lineCounter, file }: IssueContext,
  isTypeIssue = false,
): ConfigProblem {
  const position = locatePath(doc, lineCounter, path, target);
  const key = path.join('.');
  // zod reports a missing key as a value of type undefined; say it the way a reader thinks of it.
  const text = isTypeIssue && !position.isFound ? missingKeyMessage(message) : message;
  return {
    file,
    line: position.line,
    column: position.column,
    // A key is the user's text: escape control characters so a problem stays one line.
    key: /\p{Cc}/u.test(key) ? JSON.stringify(key).slice(1, -1) : key,
    message: oneLine(text),
  };
}

function missingKeyMessage(typeMessage: string): string {
  return typeMessage.includes('received undefined')
    ? 'missing required key'
    : `missing required key: ${typeMessage}`;
}

function sorted(list: readonly ConfigProblem[]): ConfigProblem[] {
  return list.toSorted((a, b) => a.line - b.line || a.column - b.column);
}

function oneLine(text: string): string {
  return text
    .split(/[\r\n]+/)
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .join(' ');
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
