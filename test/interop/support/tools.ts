// Third-party programs the interop tests drive: a missing one fails the run on CI, skips locally.

import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { TestContext } from 'node:test';

/** Where these programs come from, for the skip/fail message. */
const PACKAGE_OF: Readonly<Record<string, string>> = {
  turnserver: 'coturn',
  turnutils_stunclient: 'coturn',
  turnutils_natdiscovery: 'coturn',
  stun: 'stun-client',
  ss: 'iproute2',
  npm: 'npm',
};

export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * True when every program is on PATH. Otherwise: with CI set, throws (the test fails); without,
 * marks the test skipped and returns false, so the test body returns at once.
 */
export function requireTool(t: TestContext, ...names: readonly string[]): boolean {
  const missing = names.filter((name) => findOnPath(name) === undefined);
  if (missing.length === 0) return true;
  const packages = [...new Set(missing.map((name) => PACKAGE_OF[name] ?? name))];
  const message = `${missing.join(', ')} not found on PATH (Debian: apt-get install ${packages.join(' ')})`;
  if (process.env['CI'] !== undefined && process.env['CI'] !== '') {
    throw new Error(`${message}; CI must have it`);
  }
  t.skip(message);
  return false;
}
