import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Attr, ErrorCode, StunMethod, reasonPhrases } from '../../src/stun/constants.ts';

function registry(name: string): Map<number, string> {
  const text = readFileSync(new URL(`../vectors/iana/${name}.csv`, import.meta.url), 'utf8');
  const entries = new Map<number, string>();
  for (const line of text.trim().split('\n').slice(1)) {
    const [value = '', ...rest] = line.split(',');
    if (value.includes('-')) continue; // ranges: reserved or unassigned
    entries.set(Number(value), rest.slice(0, -1).join(',').replace(/^"|"$/g, ''));
  }
  return entries;
}

const legacy = new Set([0x0002, 0x0003, 0x0004, 0x0005, 0x0007, 0x000b]);

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c}`).toUpperCase();
}

test('every STUN attribute constant has its IANA number and name', (t) => {
  const iana = registry('stun-attributes');
  for (const [name, value] of Object.entries(Attr)) {
    const registered = iana.get(value);
    t.assert.notEqual(
      registered,
      undefined,
      `${name} 0x${value.toString(16)} is not in the registry`,
    );
    if (legacy.has(value)) {
      t.assert.match(registered ?? '', /^Reserved; was /, name);
      continue;
    }
    t.assert.equal(registered?.replace(/_/g, '-'), kebab(name), name);
  }
});

test('every STUN method constant has its IANA number and name', (t) => {
  const iana = registry('stun-methods');
  for (const [name, value] of Object.entries(StunMethod)) {
    t.assert.equal(iana.get(value)?.toLowerCase(), name.toLowerCase(), name);
  }
});

test('every STUN error code has its IANA reason phrase', (t) => {
  const iana = registry('stun-error-codes');
  for (const code of Object.values(ErrorCode)) {
    const registered = iana.get(code);
    t.assert.notEqual(registered, undefined, String(code));
    // RFC 8489 renamed 401 "Unauthorized" to "Unauthenticated"; the older registry copy keeps the old one.
    const ours = reasonPhrases.get(code);
    if (code === 401) t.assert.match(registered ?? '', /^Unauth/);
    else t.assert.equal(ours?.toLowerCase(), registered?.toLowerCase(), String(code));
  }
});
