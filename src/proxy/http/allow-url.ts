// A service's URL allow-list (ARCHITECTURE.md "HTTP URL allow-list"), checked on every request:
// case-sensitive; an allowed URL must be a prefix of the request path (the target without its
// query); if that allowed URL ends in "/", the rest of the path after it must not contain "/".
// An absent list allows everything; an empty list allows nothing.
//
// The backend sees exactly the bytes we checked, so when a list exists a path it might read
// differently from us is refused before matching ('http.unsafe-path'): a backslash, an empty
// segment ("//"), a "." or ".." segment (also with ";params", as Tomcat reads "..;"), and the
// escapes %2E %2F %5C %25 %00 in either case, or a "%" not followed by two hex digits. Other
// escapes are compared raw: "/PBX0/%4Dy" does not match "/PBX0/My".

import type { UrlProblem } from './problem.ts';

const SLASH = 0x2f;
const DOT = 0x2e;
const PERCENT = 0x25;
const SEMICOLON = 0x3b;
const BACKSLASH = 0x5c;

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** An escape that changes how the path splits into segments, or that may be decoded twice. */
function isUnsafeEscape(path: string, at: number): boolean {
  const high = hexValue(path.charCodeAt(at + 1));
  const low = hexValue(path.charCodeAt(at + 2));
  if (high < 0 || low < 0) return true;
  const byte = high * 16 + low;
  return byte === DOT || byte === SLASH || byte === BACKSLASH || byte === PERCENT || byte === 0;
}

/** Whether the segment starting at `at` (just after a "/") is empty, "." or ".." (before any ";"). */
function isUnsafeSegment(path: string, at: number): boolean {
  let end = at;
  while (end < path.length) {
    const c = path.charCodeAt(end);
    if (c === SLASH || c === SEMICOLON) break;
    end++;
  }
  const length = end - at;
  if (length === 0) return at < path.length && path.charCodeAt(at) === SLASH;
  return (
    length <= 2 && path.charCodeAt(at) === DOT && (length === 1 || path.charCodeAt(at + 1) === DOT)
  );
}

/** Whether a path could mean something else to a backend that decodes or normalises it. */
export function isUnsafePath(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === BACKSLASH) return true;
    if (c === PERCENT && isUnsafeEscape(path, i)) return true;
    if (c === SLASH && isUnsafeSegment(path, i + 1)) return true;
  }
  return false;
}

/** Whether `allowed` admits `path` by the head-match and trailing-slash rule (no safety check). */
export function matchesAllowList(path: string, allowed: readonly string[]): boolean {
  for (const url of allowed) {
    if (!path.startsWith(url)) continue;
    if (url.endsWith('/') && path.includes('/', url.length)) continue;
    return true;
  }
  return false;
}

/** undefined when the service admits `path`, else why not. `path` excludes the query. */
export function checkUrl(
  path: string,
  allowed: readonly string[] | undefined,
): UrlProblem | undefined {
  if (allowed === undefined) return undefined;
  if (path.charCodeAt(0) !== SLASH || isUnsafePath(path)) return 'http.unsafe-path';
  return matchesAllowList(path, allowed) ? undefined : 'http.url-not-allowed';
}
