// `pbxgate hash-password [--password-stdin]`: read a password, never from argv, and print the hash
// that goes into admin.users.

import { hashPassword } from '../admin/password.ts';
import { PbxgateError } from '../errors.ts';
import { type CommandIo, type ExitCode, parseCommandArgs } from './args.ts';

export const hashPasswordUsage =
  'pbxgate hash-password [--password-stdin]   read a password (not echoed on a terminal) and print its hash for admin.users';

/** Where a secret is read from: stdin, with prompts on the terminal (stderr), never on stdout. */
export interface SecretInput {
  readonly stream: NodeJS.ReadableStream & {
    readonly isTTY?: boolean;
    setRawMode?(raw: boolean): unknown;
  };
  /** Writes a prompt without a line break. */
  readonly prompt: (text: string) => void;
}

export const processSecretInput: SecretInput = {
  stream: process.stdin,
  prompt: (text) => process.stderr.write(text),
};

const MAX_INPUT_BYTES = 64 * 1024;
const MAX_PASSWORD_CHARS = 1024;
const EXIT_CANCELLED = 130;

export async function runHashPassword(
  argv: readonly string[],
  io: CommandIo,
  input: SecretInput = processSecretInput,
): Promise<ExitCode> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { 'password-stdin': { type: 'boolean', default: false } },
    'hash-password',
  );
  if (positionals.length > 0)
    throw new PbxgateError(
      'PBX_ERR_USAGE',
      'pbxgate hash-password: the password is read from stdin, never from the command line',
    );
  const read = await readPassword(input, values['password-stdin']);
  if (read.kind === 'cancelled') {
    io.err('pbxgate hash-password: cancelled');
    return EXIT_CANCELLED;
  }
  if (read.kind === 'mismatch') {
    io.err('pbxgate hash-password: the two passwords differ');
    return 1;
  }
  const { password } = read;
  if (password === undefined) {
    io.err(`pbxgate hash-password: more than ${MAX_INPUT_BYTES} bytes on stdin`);
    return 1;
  }
  if (password === '') {
    io.err('pbxgate hash-password: empty password');
    return 1;
  }
  if (password.length > MAX_PASSWORD_CHARS) {
    io.err(`pbxgate hash-password: the password is longer than ${MAX_PASSWORD_CHARS} characters`);
    return 1;
  }
  io.out(await hashPassword(password));
  return 0;
}

type ReadPassword =
  | { readonly kind: 'read'; readonly password: string | undefined }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'mismatch' };

/** `password` undefined: stdin held more than MAX_INPUT_BYTES. */
async function readPassword(input: SecretInput, fromStdin: boolean): Promise<ReadPassword> {
  // For scripts: all of stdin, less one final line break.
  if (fromStdin)
    return { kind: 'read', password: (await readAll(input.stream))?.replace(/\r?\n$/, '') };
  if (input.stream.isTTY !== true) {
    const text = await readAll(input.stream);
    return { kind: 'read', password: text?.split('\n')[0]?.replace(/\r$/, '') };
  }
  const password = await promptSecret(input, 'Password: ');
  if (password === undefined) return { kind: 'cancelled' };
  if (password === '') return { kind: 'read', password };
  const again = await promptSecret(input, 'Again: ');
  if (again === undefined) return { kind: 'cancelled' };
  return again === password ? { kind: 'read', password } : { kind: 'mismatch' };
}

/**
 * Reads one line from a terminal in raw mode, so nothing is echoed. Backspace edits; Ctrl-C, or
 * Ctrl-D on an empty line, cancels (undefined).
 */
export function promptSecret(input: SecretInput, prompt: string): Promise<string | undefined> {
  const { stream } = input;
  input.prompt(prompt);
  stream.setRawMode?.(true);
  stream.setEncoding('utf8');
  return new Promise((resolve) => {
    const chars: string[] = []; // code points, so backspace removes a whole character
    const finish = (value: string | undefined): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.setRawMode?.(false);
      stream.pause();
      input.prompt('\n');
      resolve(value);
    };
    const onEnd = (): void => {
      finish(undefined);
    };
    const onData = (chunk: string | Buffer): void => {
      for (const char of chunk.toString()) {
        const isCancel = char === '\u0003' || (char === '\u0004' && chars.length === 0);
        if (char === '\r' || char === '\n' || isCancel) {
          finish(isCancel ? undefined : chars.join(''));
          return;
        }
        if (char === '\u007f' || char === '\b') chars.pop();
        else if (char >= ' ') chars.push(char);
      }
    };
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.resume();
  });
}

/** All of the stream as UTF-8; undefined when it is larger than MAX_INPUT_BYTES. */
async function readAll(stream: NodeJS.ReadableStream): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += bytes.length;
    if (size > MAX_INPUT_BYTES) return undefined;
    chunks.push(bytes);
  }
  return Buffer.concat(chunks).toString('utf8');
}
