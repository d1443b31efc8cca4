// A small internet in network namespaces: one "internet" namespace holding the STUN servers' four
// addresses, and sites of two namespaces each (router, client) behind a NAT of one kind made with
// nftables in the router. Addresses: 198.18.0.0/15 (RFC 2544 benchmarking) outside, 10.77.x.0/24
// inside; none of them exists outside these namespaces.
//
//   client (10.77.i.2) --in0-- router --out0 (198.18.(10+i).1)-- internet (198.18.0.2-.5, .99 dead)
//                                     --out1 (198.18.(40+i).1)-- (dual-uplink sites only)

import type { Lab } from './netns.ts';
import { coturnStunConfig } from './coturn.ts';

export type NatKind =
  'none' | 'full-cone' | 'restricted-cone' | 'port-restricted-cone' | 'symmetric';

export interface StunAddressSet {
  readonly address: string;
  readonly port: number;
  readonly alternate: { readonly address: string; readonly port: number };
}

/** pbxgate's own STUN server: stun.listen and stun.alternate. */
export const PBXGATE_STUN: StunAddressSet = {
  address: '198.18.0.2',
  port: 3478,
  alternate: { address: '198.18.0.3', port: 3479 },
};
/** coturn with two listening IPs (RFC 5780 on), alt-listening-port = port + 1. */
export const COTURN_STUN: StunAddressSet = {
  address: '198.18.0.4',
  port: 3478,
  alternate: { address: '198.18.0.5', port: 3479 },
};
/** Routed to the internet namespace, which does not have it and does not forward: silence. */
export const DEAD_ADDRESS = '198.18.0.99';

export interface Site {
  readonly name: string;
  readonly kind: NatKind;
  readonly client: string;
  readonly router: string;
  readonly clientAddress: string;
  /** The router's outside address per uplink (the NAT's external address). */
  readonly uplinks: readonly string[];
}

export interface SiteOptions {
  readonly name: string;
  readonly kind: NatKind;
  /** Small, unique per site: picks its subnets. */
  readonly index: number;
  /** Two uplinks: pbxgate's addresses are routed over the first, coturn's over the second. */
  readonly dualUplink?: boolean;
  /** Router conntrack UDP timeouts, to make the binding lifetime measurable in seconds. */
  readonly udpTimeoutSeconds?: number;
}

/** The internet namespace: the servers' addresses on its loopback, no forwarding. */
export async function createInternet(lab: Lab): Promise<string> {
  const ns = await lab.addNamespace('net');
  for (const set of [PBXGATE_STUN, COTURN_STUN]) {
    for (const address of [set.address, set.alternate.address]) {
      await lab.ip('-n', ns, 'addr', 'add', `${address}/32`, 'dev', 'lo');
    }
  }
  return ns;
}

/** The nftables ruleset a router of this kind runs (undefined: no NAT, routed). */
export function natRuleset(
  kind: NatKind,
  clientAddress: string,
  outs: readonly string[],
): string | undefined {
  if (kind === 'none') return undefined;
  const oif = `oifname { ${outs.map((o) => `"${o}"`).join(', ')} }`;
  const iif = `iifname { ${outs.map((o) => `"${o}"`).join(', ')} }`;
  // Linux conntrack keeps the inside port when it is free: endpoint-independent mapping, and
  // only replies on a tracked 5-tuple come in (address-and-port-dependent filtering).
  // fully-random picks a new random port for every new 5-tuple: a symmetric NAT.
  const masquerade = kind === 'symmetric' ? 'masquerade fully-random' : 'masquerade';
  const lines = [
    'table ip natlab {',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    ${oif} ${masquerade}`,
    '  }',
  ];
  if (kind === 'full-cone') {
    // Anyone may send to any mapped port: inbound UDP goes to the client, port kept.
    lines.push(
      '  chain prerouting {',
      '    type nat hook prerouting priority dstnat; policy accept;',
      `    ${iif} meta l4proto udp dnat to ${clientAddress}`,
      '  }',
    );
  }
  if (kind === 'restricted-cone') {
    // Inbound to a mapped port from any port of an IP that mapping (inside port) has sent to.
    lines.push(
      '  set contacted {',
      '    type ipv4_addr . inet_service; flags dynamic, timeout; timeout 10m;',
      '  }',
      '  chain forward {',
      '    type filter hook forward priority filter; policy accept;',
      `    iifname "in0" ${oif} meta l4proto udp update @contacted { ip daddr . udp sport }`,
      '  }',
      '  chain prerouting {',
      '    type nat hook prerouting priority dstnat; policy accept;',
      `    ${iif} meta l4proto udp ip saddr . udp dport @contacted dnat to ${clientAddress}`,
      '  }',
    );
  }
  lines.push('}', '');
  return lines.join('\n');
}

export async function addSite(lab: Lab, internet: string, options: SiteOptions): Promise<Site> {
  const { index, kind } = options;
  const router = await lab.addNamespace(`${options.name}-r`);
  const client = await lab.addNamespace(`${options.name}-c`);
  const clientAddress = `10.77.${index}.2`;
  await lab.ip(
    '-n',
    router,
    'link',
    'add',
    'in0',
    'type',
    'veth',
    'peer',
    'name',
    'eth0',
    'netns',
    client,
  );
  await lab.ip('-n', router, 'addr', 'add', `10.77.${index}.1/24`, 'dev', 'in0');
  await lab.ip('-n', client, 'addr', 'add', `${clientAddress}/24`, 'dev', 'eth0');
  await lab.ip('-n', router, 'link', 'set', 'in0', 'up');
  await lab.ip('-n', client, 'link', 'set', 'eth0', 'up');
  await lab.ip('-n', client, 'route', 'add', 'default', 'via', `10.77.${index}.1`);
  const subnets = options.dualUplink === true ? [10 + index, 40 + index] : [10 + index];
  const outs: string[] = [];
  const uplinks: string[] = [];
  for (const [n, subnet] of subnets.entries()) {
    const out = `out${n}`;
    const up = `up${index}${n === 0 ? 'a' : 'b'}`;
    await lab.ip(
      '-n',
      internet,
      'link',
      'add',
      up,
      'type',
      'veth',
      'peer',
      'name',
      out,
      'netns',
      router,
    );
    await lab.ip('-n', internet, 'addr', 'add', `198.18.${subnet}.254/24`, 'dev', up);
    await lab.ip('-n', router, 'addr', 'add', `198.18.${subnet}.1/24`, 'dev', out);
    await lab.ip('-n', internet, 'link', 'set', up, 'up');
    await lab.ip('-n', router, 'link', 'set', out, 'up');
    outs.push(out);
    uplinks.push(`198.18.${subnet}.1`);
  }
  const gateway = (n: number): string => `198.18.${subnets[n] ?? 0}.254`;
  if (options.dualUplink === true) {
    await lab.ip('-n', router, 'route', 'add', `${PBXGATE_STUN.address}/31`, 'via', gateway(0));
    await lab.ip('-n', router, 'route', 'add', `${COTURN_STUN.address}/31`, 'via', gateway(1));
  } else {
    await lab.ip('-n', router, 'route', 'add', 'default', 'via', gateway(0));
  }
  // Open internet: the client's own address is reachable from outside, through the router.
  if (kind === 'none') {
    await lab.ip(
      '-n',
      internet,
      'route',
      'add',
      `10.77.${index}.0/24`,
      'via',
      `198.18.${subnets[0] ?? 0}.1`,
    );
  }
  await lab.mustExec(router, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
  const ruleset = natRuleset(kind, clientAddress, outs);
  if (ruleset !== undefined) await lab.mustExec(router, 'nft', ['-f', '-'], ruleset);
  if (options.udpTimeoutSeconds !== undefined) {
    const seconds = String(options.udpTimeoutSeconds);
    await lab.mustExec(router, 'sysctl', [
      '-qw',
      `net.netfilter.nf_conntrack_udp_timeout=${seconds}`,
      `net.netfilter.nf_conntrack_udp_timeout_stream=${seconds}`,
    ]);
  }
  return { name: options.name, kind, client, router, clientAddress, uplinks };
}

/** coturn's config for the internet namespace: RFC 5780 on two IPs, no auth, files in `dir`. */
export function coturnNatConfig(dir: string): string {
  const { address, port, alternate } = COTURN_STUN;
  return coturnStunConfig(
    { addresses: [address, alternate.address], relayIp: address, port, altPort: alternate.port },
    dir,
  );
}

/** pbxgate's config for the internet namespace: STUN only, RFC 5780 via stun.alternate. */
export function pbxgateNatConfig(): string {
  const { address, port, alternate } = PBXGATE_STUN;
  return [
    'stateDir: state',
    'log: { level: info }',
    'stun:',
    `  listen: [udp://${address}:${port}]`,
    `  alternate: { address: ${alternate.address}, port: ${alternate.port} }`,
    '',
  ].join('\n');
}
