// The embedded fraud store: the blacklist and the manual whitelist in one JSON file, replaced atomically.

import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../observe/log.ts';
import type { BlacklistEntry } from './fraud.ts';

/** What outlives a restart: config whitelist entries come from the config, not from here. */
export interface StoredLists {
  readonly blacklist: readonly BlacklistEntry[];
  readonly whitelist: readonly string[];
}

export interface FileStore {
  /** Reads the file: missing or corrupt = empty (a corrupt file is kept as `.corrupt-<ms>`). */
  load(): Promise<StoredLists>;
  /** Schedules a write of `read()`: at most one in flight, one more after it if asked meanwhile. */
  save(): void;
  /** Resolves once everything asked for is written (or failed and was logged). */
  flush(): Promise<void>;
}

export interface FileStoreDeps {
  readonly log: Logger;
  /** The lists as they are now; called when a write starts, so a burst becomes one write. */
  readonly read: () => StoredLists;
  readonly now?: () => number;
}

export const FILE_VERSION = 1;
/** After a failed write (disk full, permissions), the next attempt. */
export const RETRY_MS = 1000;

const fileSchema = z.object({
  version: z.literal(FILE_VERSION),
  blacklist: z.array(
    z.object({
      key: z.string(),
      reason: z.string(),
      since: z.number(),
      until: z.number().nullable(),
      manual: z.boolean(),
    }),
  ),
  whitelist: z.array(z.string()),
});

const EMPTY: StoredLists = { blacklist: [], whitelist: [] };

export function createFileStore(path: string, deps: FileStoreDeps): FileStore {
  const { log } = deps;
  const now = deps.now ?? Date.now;
  let writing: Promise<void> | undefined;
  let isDirty = false;
  let retry: NodeJS.Timeout | undefined;
  let isFailing = false; // logged once per outage, not once per retry

  async function drain(): Promise<void> {
    try {
      while (isDirty) {
        isDirty = false;
        try {
          await writeAtomically(path, serialize(deps.read()));
          if (isFailing) log.info({ path }, 'fraud state file written again');
          isFailing = false;
        } catch (err) {
          isDirty = true;
          if (!isFailing) log.error({ err, path }, 'cannot write the fraud state file; retrying');
          isFailing = true;
          retry ??= setTimeout(() => {
            retry = undefined;
            store.save();
          }, RETRY_MS).unref();
          return;
        }
      }
    } finally {
      writing = undefined;
    }
  }

  const store: FileStore = {
    async load() {
      await removeTemporaryFiles(path);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        if (isCode(err, 'ENOENT')) log.info({ path }, 'no fraud state file yet: starting empty');
        else log.error({ err, path }, 'cannot read the fraud state file: starting empty');
        return EMPTY;
      }
      const lists = parseFile(text, now());
      if (lists !== undefined) return lists;
      const aside = `${path}.corrupt-${now()}`;
      try {
        await rename(path, aside);
      } catch (err) {
        log.error({ err, path }, 'cannot move the corrupt fraud state file aside');
      }
      log.error({ path, aside }, 'fraud state file is corrupt: kept aside, starting empty');
      return EMPTY;
    },
    save() {
      isDirty = true;
      writing ??= drain();
    },
    async flush() {
      clearTimeout(retry);
      retry = undefined;
      if (isDirty) store.save();
      while (writing !== undefined) await writing;
    },
  };
  return store;
}

/** The file's lists, expired blacklist entries left out; undefined when it is not our format. */
export function parseFile(text: string, now: number): StoredLists | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const blacklist = parsed.data.blacklist
    .map((entry) => ({ ...entry, until: entry.until ?? undefined }))
    .filter((entry) => entry.until === undefined || entry.until > now);
  return { blacklist, whitelist: parsed.data.whitelist };
}

export function serialize(lists: StoredLists): string {
  const blacklist = lists.blacklist.map((entry) => ({ ...entry, until: entry.until ?? null }));
  return `${JSON.stringify({ version: FILE_VERSION, blacklist, whitelist: lists.whitelist }, null, 1)}\n`;
}

let sequence = 0;

/** Temp file in the same directory, fsync, rename over the old file, fsync the directory. */
export async function writeAtomically(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temporary = `${path}.${process.pid}.${++sequence}.tmp`;
  try {
    const file = await open(temporary, 'w', 0o600);
    try {
      await file.writeFile(text);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (err) {
    await unlink(temporary).catch(() => undefined);
    throw err;
  }
  await syncDirectory(dir);
}

/** Makes the rename itself durable; some platforms cannot fsync a directory (then it is a no-op). */
async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (err) {
    if (!isCode(err, 'EISDIR') && !isCode(err, 'EPERM') && !isCode(err, 'EINVAL')) throw err;
  } finally {
    await handle?.close();
  }
}

/** Leftovers of a process killed between open and rename. */
async function removeTemporaryFiles(path: string): Promise<void> {
  const dir = dirname(path);
  const prefix = `${basename(path)}.`;
  const names = await readdir(dir).catch(() => []);
  for (const name of names) {
    if (name.startsWith(prefix) && name.endsWith('.tmp')) {
      await unlink(join(dir, name)).catch(() => undefined);
    }
  }
}

function isCode(err: unknown, code: string): boolean {
  return err instanceof Error && 'code' in err && err.code === code;
}
