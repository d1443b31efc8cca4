// The whitelist (config CIDRs + manual ones, matched by node:net BlockList) and the blacklist (key -> entry).

import { BlockList } from 'node:net';
import { cidrCovers, parseCidr, type Cidr } from './cidr.ts';
import type { BlacklistEntry, WhitelistEntry } from './fraud.ts';

export interface Whitelist {
  /** True when the address lies in any entry; IPv4-mapped IPv6 matches the IPv4 rules. */
  has(ip: string): boolean;
  /** True when every address of the range (a tracking key, an address or a CIDR) is whitelisted. */
  covers(range: Cidr): boolean;
  /** Adds a manual entry; an entry already there (either source) is returned as it is. */
  add(cidr: Cidr): WhitelistEntry;
  /** Removes a manual entry; false when there was none (config entries stay). */
  remove(cidr: Cidr): boolean;
  /** Config entries as written, then manual entries. */
  entries(): WhitelistEntry[];
  /** The manual entries, as stored. */
  manual(): string[];
  /** The longest IPv6 prefix among the entries (0 when none): what may lie inside an IPv6 key. */
  readonly longestIpv6Prefix: number;
}

interface Rule {
  readonly entry: WhitelistEntry;
  readonly cidr: Cidr;
}

/** Config entries must be valid CIDRs (the config schema checked them); others are skipped. */
export function createWhitelist(config: readonly string[]): Whitelist {
  const rules: Rule[] = [];
  for (const text of config) {
    const cidr = parseCidr(text);
    if (cidr !== undefined) rules.push({ entry: { cidr: text, source: 'config' }, cidr });
  }
  let blockList = buildBlockList(rules);
  const find = (cidr: Cidr): Rule | undefined => rules.find((rule) => rule.cidr.text === cidr.text);

  return {
    has(ip) {
      return blockList.check(ip, ip.includes(':') ? 'ipv6' : 'ipv4');
    },
    covers(range) {
      return rules.some((rule) => cidrCovers(rule.cidr, range));
    },
    add(cidr) {
      const known = find(cidr);
      if (known !== undefined) return known.entry;
      const entry: WhitelistEntry = { cidr: cidr.text, source: 'manual' };
      rules.push({ entry, cidr });
      addRule(blockList, cidr);
      return entry;
    },
    remove(cidr) {
      const at = rules.findIndex(
        (rule) => rule.entry.source === 'manual' && rule.cidr.text === cidr.text,
      );
      if (at < 0) return false;
      rules.splice(at, 1);
      blockList = buildBlockList(rules); // BlockList cannot remove a rule
      return true;
    },
    entries() {
      return rules.map((rule) => rule.entry);
    },
    manual() {
      return rules.filter((rule) => rule.entry.source === 'manual').map((rule) => rule.cidr.text);
    },
    get longestIpv6Prefix() {
      return rules.reduce(
        (longest, { cidr }) => (cidr.family === 6 ? Math.max(longest, cidr.prefix) : longest),
        0,
      );
    },
  };
}

function buildBlockList(rules: readonly Rule[]): BlockList {
  const blockList = new BlockList();
  for (const rule of rules) addRule(blockList, rule.cidr);
  return blockList;
}

function addRule(blockList: BlockList, cidr: Cidr): void {
  blockList.addSubnet(cidr.address, cidr.prefix, cidr.family === 4 ? 'ipv4' : 'ipv6');
}

export interface Blacklist {
  /** The entry of the key, expired or not (see isExpired). */
  get(key: string): BlacklistEntry | undefined;
  set(entry: BlacklistEntry): void;
  delete(key: string): boolean;
  /** Removes the entries expired at `now` and returns them. */
  sweep(now: number): BlacklistEntry[];
  entries(): BlacklistEntry[];
  readonly size: number;
}

/** An expired entry blocks nothing, even before the sweep removes it. */
export function isExpired(entry: BlacklistEntry, now: number): boolean {
  return entry.until !== undefined && entry.until <= now;
}

export function createBlacklist(): Blacklist {
  const entries = new Map<string, BlacklistEntry>();
  return {
    get(key) {
      return entries.get(key);
    },
    set(entry) {
      entries.set(entry.key, entry);
    },
    delete(key) {
      return entries.delete(key);
    },
    sweep(now) {
      const expired: BlacklistEntry[] = [];
      for (const entry of entries.values()) {
        if (isExpired(entry, now)) expired.push(entry);
      }
      for (const entry of expired) entries.delete(entry.key);
      return expired;
    },
    entries() {
      return [...entries.values()];
    },
    get size() {
      return entries.size;
    },
  };
}
