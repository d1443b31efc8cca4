// The URL allow-list of ARCHITECTURE.md, as a table: head match, trailing-slash rule, case, and the
// unsafe paths refused before matching (allow-url.ts).

import { test } from 'node:test';
import { checkUrl, isUnsafePath, matchesAllowList } from '../../../src/proxy/http/allow-url.ts';

/** The list of ARCHITECTURE.md "Configuration", plus one entry ending in "/". */
const urls = ['/PBX0/MY', '/PBX0/WEBSOCKET', '/PBX0/DEVICES', '/CDR0/CALL-LIST', '/PBX0/APPS/'];

const table: [string, string | undefined, string][] = [
  ['/PBX0/MY', undefined, 'exact match'],
  ['/PBX0/MY/', undefined, 'head match, entry without "/"'],
  ['/PBX0/MY/settings/a.htm', undefined, 'deeper paths match an entry without "/"'],
  ['/PBX0/MYSELF', undefined, 'head match is on characters, not segments'],
  ['/PBX0/WEBSOCKET', undefined, 'WebSocket endpoint'],
  ['/CDR0/CALL-LIST', undefined, 'second prefix'],
  ['/PBX0/APPS/', undefined, 'entry ending in "/": empty rest'],
  ['/PBX0/APPS/app.js', undefined, 'entry ending in "/": rest without "/"'],
  ['/PBX0/APPS/lib/app.js', 'http.url-not-allowed', 'entry ending in "/": rest with "/"'],
  ['/PBX0/APPS', 'http.url-not-allowed', 'shorter than the entry'],
  ['/PBX0/my', 'http.url-not-allowed', 'case-sensitive'],
  ['/pbx0/MY', 'http.url-not-allowed', 'case-sensitive'],
  ['/PBX0', 'http.url-not-allowed', 'parent of an entry'],
  ['/', 'http.url-not-allowed', 'root'],
  ['/PBX0/ADMIN.xml', 'http.url-not-allowed', 'not listed'],
  ['/x/PBX0/MY', 'http.url-not-allowed', 'entry inside, not at the head'],
  ['/PBX0/MY/../ADMIN', 'http.unsafe-path', 'dot-dot segment'],
  ['/PBX0/MY/..', 'http.unsafe-path', 'trailing dot-dot segment'],
  ['/PBX0/MY/./x', 'http.unsafe-path', 'dot segment'],
  ['/PBX0/MY/..;/ADMIN', 'http.unsafe-path', 'dot-dot with path parameters (Tomcat)'],
  ['/PBX0/MY/%2e%2e/ADMIN', 'http.unsafe-path', 'encoded dots'],
  ['/PBX0/MY/%2E%2E/ADMIN', 'http.unsafe-path', 'encoded dots, upper case'],
  ['/PBX0/APPS/lib%2fapp.js', 'http.unsafe-path', 'encoded slash hides a segment'],
  ['/PBX0/APPS/lib%2Fapp.js', 'http.unsafe-path', 'encoded slash, upper case'],
  ['/PBX0/MY%5c..%5cADMIN', 'http.unsafe-path', 'encoded backslash'],
  ['/PBX0/MY\\..\\ADMIN', 'http.unsafe-path', 'backslash'],
  ['/PBX0/MY/%252e%252e/ADMIN', 'http.unsafe-path', 'double encoding'],
  ['/PBX0/MY/%00', 'http.unsafe-path', 'encoded NUL'],
  ['/PBX0/MY/%zz', 'http.unsafe-path', 'broken escape'],
  ['/PBX0/MY/%2', 'http.unsafe-path', 'cut escape'],
  ['/PBX0//MY', 'http.unsafe-path', 'empty segment'],
  ['//PBX0/MY', 'http.unsafe-path', 'empty first segment'],
  ['*', 'http.unsafe-path', 'asterisk-form'],
  ['/PBX0/MY/a%20b', undefined, 'other escapes are compared raw'],
  ['/PBX0/MY/.hidden', undefined, 'a dot file is not a dot segment'],
  ['/PBX0/MY/...', undefined, 'three dots are a name'],
  ['/PBX0/MY;jsessionid=1', undefined, 'path parameters after the entry'],
  ['/PBX0/%4DY', 'http.url-not-allowed', 'an escaped letter does not match the letter'],
];

for (const [path, expected, why] of table) {
  test(`${path} -> ${expected ?? 'allowed'} (${why})`, (t) => {
    t.assert.equal(checkUrl(path, urls), expected);
  });
}

test('an absent list allows every path, even an unsafe one', (t) => {
  t.assert.equal(checkUrl('/PBX0/../admin', undefined), undefined);
});

test('an empty list allows nothing', (t) => {
  t.assert.equal(checkUrl('/PBX0/MY', []), 'http.url-not-allowed');
});

test('any matching entry is enough', (t) => {
  t.assert.equal(matchesAllowList('/PBX0/APPS/x.js', ['/PBX0/', '/PBX0/APPS/']), true);
  t.assert.equal(matchesAllowList('/PBX0/APPS/x/y.js', ['/PBX0/', '/PBX0/APPS/']), false);
});

test('a path without dot segments, escapes or backslashes is safe', (t) => {
  t.assert.equal(isUnsafePath('/PBX0/APPS/app.js'), false);
  t.assert.equal(isUnsafePath('/'), false);
});
