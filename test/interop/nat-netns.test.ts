// `pbxgate nat-type` behind real NATs: network namespaces, veth pairs and nftables made by this
// test, a client behind each kind of NAT, and two RFC 5780 servers outside (pbxgate's own STUN
// server with stun.alternate, and coturn with two listening IPs). Every verdict must match the
// kind of NAT the router really runs, against both servers.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import type { ClassicNatType, NatBehaviour } from '../../src/nat/classify.ts';
import type { NatServerReport } from '../../src/nat/report.ts';
import {
  COTURN_STUN,
  DEAD_ADDRESS,
  type NatKind,
  PBXGATE_STUN,
  type Site,
  addSite,
  coturnNatConfig,
  createInternet,
  pbxgateNatConfig,
} from './support/nat-topology.ts';
import {
  type Lab,
  createLab,
  requirePrograms,
  waitForUdpIn,
  whyNoNamespaces,
} from './support/netns.ts';
import { STARTED, repoRoot } from './support/pbxgate.ts';

interface Expected {
  readonly natPresent: boolean;
  readonly classic: ClassicNatType;
  readonly mapping: NatBehaviour;
  readonly filtering: NatBehaviour;
  readonly hairpinning: boolean;
}

const EXPECTED: Readonly<Record<NatKind, Expected>> = {
  none: {
    natPresent: false,
    classic: 'open-internet',
    mapping: 'endpoint-independent',
    filtering: 'endpoint-independent',
    // Without a NAT the "mapped" address is our own: a request to it always arrives.
    hairpinning: true,
  },
  'full-cone': {
    natPresent: true,
    classic: 'full-cone',
    mapping: 'endpoint-independent',
    filtering: 'endpoint-independent',
    hairpinning: false,
  },
  'restricted-cone': {
    natPresent: true,
    classic: 'restricted-cone',
    mapping: 'endpoint-independent',
    filtering: 'address-dependent',
    hairpinning: false,
  },
  'port-restricted-cone': {
    natPresent: true,
    classic: 'port-restricted-cone',
    mapping: 'endpoint-independent',
    filtering: 'address-and-port-dependent',
    hairpinning: false,
  },
  symmetric: {
    natPresent: true,
    classic: 'symmetric',
    mapping: 'address-and-port-dependent',
    filtering: 'address-and-port-dependent',
    hairpinning: false,
  },
};

const KINDS = Object.keys(EXPECTED) as NatKind[];
const SERVERS = [
  { name: 'pbxgate', set: PBXGATE_STUN },
  { name: 'coturn', set: COTURN_STUN },
] as const;
const BOTH = SERVERS.map(({ set }) => `${set.address}:${set.port}`).join(';');
/** 50 ms: a test nobody answers ends after 79 RTO = 3.95 s (RFC 8489 §6.2.1 with Rc 7, Rm 16). */
const LAB_RTO = ['--rto', '50ms'];
const HOSTS_NAME = 'stun.nat.test';

interface NatTypeRun {
  readonly code: number | null;
  readonly servers: readonly NatServerReport[];
  readonly stderr: string;
}

async function natType(lab: Lab, site: Site, args: readonly string[]): Promise<NatTypeRun> {
  const result = await lab.exec(
    site.client,
    process.execPath,
    ['--import', 'tsx', 'src/main.ts', 'nat-type', '--json', ...args],
    { cwd: repoRoot, timeoutMs: 120_000 },
  );
  const servers = parseServers(result.stdout);
  if (servers === undefined) {
    throw new Error(
      `nat-type printed no JSON (exit ${result.code ?? 'none'}): ${result.stdout}${result.stderr}`,
    );
  }
  return { code: result.code, servers, stderr: result.stderr };
}

function parseServers(stdout: string): NatServerReport[] | undefined {
  try {
    return (JSON.parse(stdout) as { servers: NatServerReport[] }).servers;
  } catch {
    return undefined;
  }
}

function hostOf(endpoint: string | null): string | undefined {
  return endpoint === null ? undefined : endpoint.slice(0, endpoint.lastIndexOf(':'));
}

/** Both servers' verdicts for the client of `site` are those of its kind of NAT. */
async function checkKind(t: TestContext, lab: Lab, site: Site): Promise<void> {
  const run = await natType(lab, site, ['--stun', BOTH, ...LAB_RTO]);
  t.assert.equal(run.code, 0, run.stderr);
  const expected = EXPECTED[site.kind];
  const external = site.kind === 'none' ? site.clientAddress : site.uplinks[0];
  for (const [i, { name, set }] of SERVERS.entries()) {
    const report = run.servers[i];
    if (report === undefined) throw new Error(`no report for ${name}`);
    const seen = {
      natPresent: report.natPresent,
      classic: report.classic,
      mapping: report.mapping,
      filtering: report.filtering,
      hairpinning: report.hairpinning,
    };
    t.assert.deepEqual(seen, expected, `${site.kind} against ${name}: ${JSON.stringify(report)}`);
    t.assert.equal(report.answeredBy, `${set.address}:${set.port}`);
    t.assert.equal(hostOf(report.externalAddress), external);
    t.diagnostic(
      `${site.kind} x ${name}: ${report.classic} / mapping ${report.mapping} / filtering ${report.filtering} in ${report.durationMs} ms`,
    );
  }
}

async function startServers(t: TestContext, lab: Lab, internet: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'pbxgate-netns-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'pbxgate.yaml'), pbxgateNatConfig());
  await writeFile(join(dir, 'turnserver.conf'), coturnNatConfig(dir));
  const pbxgate = lab.start(
    t,
    internet,
    process.execPath,
    ['--import', 'tsx', 'src/main.ts', 'start', '--config', join(dir, 'pbxgate.yaml')],
    { cwd: repoRoot, readyWhen: (out) => out.includes(STARTED), readyTimeoutMs: 30_000 },
  );
  await lab.start(t, internet, 'turnserver', ['-c', join(dir, 'turnserver.conf')]);
  const { address, port, alternate } = COTURN_STUN;
  await waitForUdpIn(
    lab,
    internet,
    [address, alternate.address].flatMap((ip) => [`${ip}:${port}`, `${ip}:${alternate.port}`]),
  );
  await pbxgate;
}

test(
  'nat-type classifies real NATs built in network namespaces, against pbxgate and coturn',
  { timeout: 300_000, concurrency: true },
  async (t) => {
    if (!requirePrograms(t, ['ip', 'nft', 'ss', 'turnserver'])) return;
    const why = await whyNoNamespaces();
    if (why !== undefined) {
      t.skip(why);
      return;
    }
    const lab = createLab(t);
    const internet = await createInternet(lab);
    const sites = new Map<NatKind, Site>();
    for (const [n, kind] of KINDS.entries()) {
      sites.set(kind, await addSite(lab, internet, { name: kind, kind, index: n + 1 }));
    }
    const dual = await addSite(lab, internet, {
      name: 'dual',
      kind: 'port-restricted-cone',
      index: 6,
      dualUplink: true,
    });
    const shortLived = await addSite(lab, internet, {
      name: 'lifetime',
      kind: 'port-restricted-cone',
      index: 7,
      udpTimeoutSeconds: 3,
    });
    const open = sites.get('none');
    if (open === undefined) throw new Error('no open-internet site');
    // A name with a dead address and a live one, in the client's own /etc/hosts.
    await lab.writeHosts(open.client, [
      '127.0.0.1 localhost',
      `${DEAD_ADDRESS} ${HOSTS_NAME}`,
      `${PBXGATE_STUN.address} ${HOSTS_NAME}`,
    ]);
    await startServers(t, lab, internet);

    const classify = KINDS.map((kind) =>
      t.test(`a client behind ${kind === 'none' ? 'no NAT' : `a ${kind} NAT`}`, (t) => {
        const site = sites.get(kind);
        if (site === undefined) throw new Error(`no site ${kind}`);
        return checkKind(t, lab, site);
      }),
    );
    const twoUplinks = t.test(
      'two logical servers reached over two NATed uplinks report two external addresses',
      async (t) => {
        const run = await natType(lab, dual, ['--stun', BOTH, ...LAB_RTO]);
        t.assert.equal(run.code, 0, run.stderr);
        t.assert.deepEqual(
          run.servers.map((report) => hostOf(report.externalAddress)),
          dual.uplinks,
        );
        t.assert.deepEqual(
          run.servers.map((report) => report.classic),
          ['port-restricted-cone', 'port-restricted-cone'],
        );
      },
    );
    const redundant = t.test(
      'a name with a dead and a live address, and an IP list with a dead one, answer at the live speed',
      async (t) => {
        // The default RTO: the dead addresses alone would take 39.5 s each.
        const ipList = `${DEAD_ADDRESS},${COTURN_STUN.address}`;
        const run = await natType(lab, open, ['--stun', `${HOSTS_NAME};${ipList}`]);
        t.assert.equal(run.code, 0, run.stderr);
        const [byName, byList] = run.servers;
        t.assert.deepEqual(
          [...(byName?.queried ?? [])].sort(),
          [`${DEAD_ADDRESS}:3478`, `${PBXGATE_STUN.address}:3478`].sort(),
        );
        t.assert.equal(byName?.answeredBy, `${PBXGATE_STUN.address}:3478`);
        t.assert.equal(byList?.answeredBy, `${COTURN_STUN.address}:3478`);
        for (const report of run.servers) {
          t.assert.equal(report.classic, 'open-internet');
          t.assert.equal(report.durationMs < 5000, true, `took ${report.durationMs} ms`);
          t.diagnostic(
            `${report.server}: answered by ${report.answeredBy ?? '-'} in ${report.durationMs} ms`,
          );
        }
      },
    );
    await Promise.all([...classify, twoUplinks, redundant]);

    // Timing-sensitive, so after the parallel batch: fewer processes compete for the CPU.
    const lifetime = t.test(
      'the binding lifetime test finds the router conntrack timeout (3 s) against both servers',
      async (t) => {
        const run = await natType(lab, shortLived, [
          '--stun',
          BOTH,
          ...LAB_RTO,
          '--lifetime',
          '4s',
        ]);
        t.assert.equal(run.code, 0, run.stderr);
        for (const report of run.servers) {
          t.assert.deepEqual(
            report.bindingLifetime,
            { aliveAfterSeconds: 2, expiredAfterSeconds: 4 },
            JSON.stringify(report),
          );
        }
      },
    );
    const silent = t.test(
      'nothing answering is UDP blocked, after exactly the RFC 8489 schedule',
      async (t) => {
        const run = await natType(lab, shortLived, ['--stun', `${DEAD_ADDRESS}:3478`, ...LAB_RTO]);
        t.assert.equal(run.code, 1);
        const report = run.servers[0];
        t.assert.equal(report?.classic, 'udp-blocked');
        t.assert.equal(report?.answeredBy, null);
        // 79 x 50 ms: sends at 0, 1, 3, 7, 15, 31, 63 RTO and a final wait of 16 RTO.
        const ms = report?.durationMs ?? 0;
        t.assert.equal(ms >= 3950 && ms < 3950 + 1500, true, `took ${ms} ms`);
      },
    );
    await Promise.all([lifetime, silent]);
  },
);
