// Fraud detection as a Part: the core's decisions plus the state file, the sweep timer, logs and metrics.

import { resolve } from 'node:path';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../observe/log.ts';
import type { Metrics } from '../observe/metrics.ts';
import { createFraudCore } from './core.ts';
import type { BlacklistEntry, FraudDetection, FraudSnapshot } from './fraud.ts';
import { registerFraudMetrics } from './metrics.ts';
import { createFileStore } from './store-file.ts';

/** The `fraud` config section with its store resolved to a file path (absolute; made so if not). */
export type FraudOptions = Omit<NonNullable<Config['fraud']>, 'store'> & {
  readonly store: { readonly kind: 'file'; readonly path: string };
};

export interface FraudDeps {
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly now?: () => number;
  /** How often idle counters and expired entries are swept; default 1 s. */
  readonly sweepEveryMs?: number;
  /** Bound on the keys counted at once (see tracker.ts); default DEFAULT_MAX_KEYS. */
  readonly maxTrackedKeys?: number;
}

export interface FraudDetectionPart extends FraudDetection {
  /** The gates call this when isBlocked refused a connection or datagram (isBlocked stays pure). */
  countRefused(): void;
}

const SWEEP_EVERY_MS = 1000;

export function createFraudDetection(config: FraudOptions, deps: FraudDeps): FraudDetectionPart {
  const log = deps.log.child({ part: 'fraud' });
  const now = deps.now ?? Date.now;
  const metrics = registerFraudMetrics(deps.metrics.registry);
  const core = createFraudCore(
    {
      ...config,
      ...(deps.maxTrackedKeys !== undefined && { maxTrackedKeys: deps.maxTrackedKeys }),
    },
    now,
  );
  const path = resolve(config.store.path);
  const store = createFileStore(path, { log, read: () => core.stored(), now });
  const listeners: ((snapshot: FraudSnapshot) => void)[] = [];
  let isLoaded = false;
  let changedBeforeLoad = false;
  let seen = core.version;
  let timer: NodeJS.Timeout | undefined;
  let evictionsCounted = 0;

  /** After every call that may change the lists: persist and tell the listeners if it did. */
  function settle(): void {
    if (core.version === seen) return;
    seen = core.version;
    metrics.blacklisted.set(core.snapshot().blacklist.length);
    // Nothing is written before the file was read: that would overwrite the stored entries.
    if (isLoaded) store.save();
    else changedBeforeLoad = true;
    if (listeners.length === 0) return;
    const snapshot = core.snapshot();
    for (const listener of listeners) {
      try {
        listener(snapshot);
      } catch (err) {
        log.error({ err }, 'a fraud onChange listener threw');
      }
    }
  }

  function sweep(): void {
    for (const entry of core.sweep()) log.info({ key: entry.key }, 'blacklist entry expired');
    metrics.trackedKeys.set(core.trackedKeys);
    metrics.trackerEvictions.inc(core.trackerEvictions - evictionsCounted);
    evictionsCounted = core.trackerEvictions;
    settle();
  }

  function logBlacklisted(entry: BlacklistEntry, fields: Record<string, unknown>): void {
    const until = entry.until === undefined ? null : new Date(entry.until).toISOString();
    log.warn({ ...fields, key: entry.key, reason: entry.reason, until }, 'blacklisted');
  }

  return {
    name: 'fraud',
    async start() {
      const { dropped } = core.restore(await store.load());
      isLoaded = true;
      const { blacklist, whitelist } = core.snapshot();
      log.info({ path, blacklisted: blacklist.length, whitelisted: whitelist.length }, 'loaded');
      if (dropped > 0)
        log.warn({ dropped }, 'stored fraud entries left out (unreadable or whitelisted)');
      if (dropped > 0 || changedBeforeLoad) store.save();
      changedBeforeLoad = false;
      settle();
      clearInterval(timer);
      timer = setInterval(sweep, deps.sweepEveryMs ?? SWEEP_EVERY_MS).unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await store.flush();
    },
    suspicious(ip, reason) {
      const entry = core.report(ip, reason);
      if (entry === undefined) return;
      metrics.blacklistings.inc({ kind: 'auto' });
      logBlacklisted(entry, { remoteIp: ip });
      settle();
    },
    isBlocked(ip) {
      return core.isBlocked(ip);
    },
    countRefused() {
      metrics.refused.inc();
    },
    snapshot() {
      return core.snapshot();
    },
    block(ip, options) {
      const entry = core.block(ip, options);
      metrics.blacklistings.inc({ kind: 'manual' });
      logBlacklisted(entry, { kind: 'manual' });
      settle();
      return entry;
    },
    unblock(ip) {
      const isRemoved = core.unblock(ip);
      if (isRemoved) log.info({ key: ip }, 'removed from the blacklist');
      settle();
      return isRemoved;
    },
    promote(ip) {
      const entry = core.promote(ip);
      log.info({ cidr: entry.cidr, from: ip }, 'promoted to the whitelist');
      settle();
      return entry;
    },
    allow(cidr) {
      const entry = core.allow(cidr);
      log.info({ cidr: entry.cidr }, 'whitelisted');
      settle();
      return entry;
    },
    disallow(cidr) {
      const isRemoved = core.disallow(cidr);
      if (isRemoved) log.info({ cidr }, 'removed from the whitelist');
      settle();
      return isRemoved;
    },
    onChange(listener) {
      listeners.push(listener);
    },
  };
}
