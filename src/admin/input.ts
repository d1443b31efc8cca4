// Request bodies and path parameters through the config's zod helpers: a value, or one readable message.

import type { z } from 'zod';
import { UNKNOWN_KEY_MESSAGE_SEPARATOR } from '../config/schema-fields.ts';

export type Parsed<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/** `what` names the input in messages: `body` or `path`. */
export function parseInput<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  what: 'body' | 'path',
  example: string,
): Parsed<z.output<Schema>> {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return { ok: false, message: `${what}: expected a JSON object like ${example}` };
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, message: result.error.issues.flatMap(describeIssue).join('; ') };
}

function describeIssue(issue: z.core.$ZodIssue): string[] {
  if (issue.code === 'unrecognized_keys') {
    // mapping() joins one message per unknown key, in the order of `keys`.
    const messages = issue.message.split(UNKNOWN_KEY_MESSAGE_SEPARATOR);
    return issue.keys.map((key, i) => `${key}: ${messages[i] ?? 'unknown key'}`);
  }
  const path = issue.path.map(String).join('.');
  const message =
    issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
  return [path === '' ? message : `${path}: ${message}`];
}
