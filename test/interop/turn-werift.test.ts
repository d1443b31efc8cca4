// pbxgate's TURN server (RFC 8656) driven by an independent TypeScript TURN client and ICE agent,
// werift-ice (shared/reference/turn-stun.md §9, coturn-recipes.md §10): allocations over UDP and
// TCP, CreatePermission, ChannelBind, ChannelData and Send/Data indications to a plain UDP echo
// peer; two ICE agents forced through the relay; a wrong password refused.

import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { startPbxgate } from './support/pbxgate.ts';
import { loopbackTurnPorts, turnConfig } from './support/turn-config.ts';
import {
  type Address,
  type Datagram,
  createInbox,
  byIndex,
  payloads,
  startEchoPeer,
  windowed,
  withDeadline,
} from './support/echo-peer.ts';
import {
  type TurnTransport,
  type Werift,
  type StunSeen,
  describeFailure,
  formatWire,
  loadWerift,
  openTurnClient,
  stunShape,
} from './support/werift.ts';
import { type WeriftIceAgent, openIceAgent } from './support/werift-ice-agent.ts';

const TIMEOUT = { timeout: 60_000 };
const REALM = 'pbxgate.interop';
const ACCOUNT = { user: 'werift', password: 'werift-interop-password' };
const RELAY_PORTS = 24;
const MESSAGES = 100;
const INDICATIONS = 20;
const ICE_MESSAGES = 50;
const ICE_CONNECT_TIMEOUT_MS = 15_000;
/** werift gives up on a request without an answer it accepts after ~6.4 s of retransmissions. */
const REFUSAL_TIMEOUT_MS = 10_000;
/** From werift's Allocate with the wrong credentials to pbxgate's 401. */
const REFUSAL_ANSWER_MAX_MS = 1_000;
const TRANSPORTS: readonly TurnTransport[] = ['udp', 'tcp'];

interface Fixture {
  readonly werift: Werift;
  readonly server: Address;
  readonly relayLow: number;
  readonly relayHigh: number;
}

function assertRelayed(t: TestContext, fixture: Fixture, address: Address, what: string): void {
  const [host, port] = address;
  t.assert.equal(host, '127.0.0.1', `${what}: ${host}:${port}`);
  t.assert.equal(
    port >= fixture.relayLow && port <= fixture.relayHigh,
    true,
    `${what}: port ${port} not in ${fixture.relayLow}-${fixture.relayHigh}`,
  );
}

async function relayEchoes(t: TestContext, fixture: Fixture, transport: TurnTransport) {
  const peer = await startEchoPeer(t);
  const seen: StunSeen[] = [];
  const client = await openTurnClient(
    t,
    fixture.werift,
    { server: fixture.server, username: ACCOUNT.user, password: ACCOUNT.password, transport },
    { onStun: (message) => seen.push(message) },
  );
  /** Send indications werift sent, Data indications it got, since `from` messages were seen. */
  const indications = (from: number): [sent: number, received: number] => {
    const later = seen.slice(from);
    return [
      later.filter((m) => m.method === 'SEND' && m.direction === 'sent').length,
      later.filter((m) => m.method === 'DATA' && m.direction === 'received').length,
    ];
  };
  assertRelayed(t, fixture, client.relayed, 'XOR-RELAYED-ADDRESS');
  // XOR-MAPPED-ADDRESS: the client's own socket, as pbxgate sees it on loopback.
  t.assert.deepEqual(client.mapped, client.local);

  const fromPeer = createInbox<Datagram>();
  const peer2 = await startEchoPeer(t);
  const fromPeer2 = createInbox<Datagram>();
  client.onData((data, from) => {
    if (from[1] === peer.address[1]) fromPeer.push({ from, data });
    else if (from[1] === peer2.address[1]) fromPeer2.push({ from, data });
  });

  // CreatePermission, then ChannelBind: werift rejects on any error response.
  await client.createPermission(peer.address);
  const channel = await client.bindChannel(peer.address);
  t.assert.equal(channel >= 0x4000 && channel <= 0x4fff, true, `channel ${channel}`);

  // ChannelData both ways: werift's sendData uses the bound channel, and pbxgate must relay the
  // peer's datagrams as ChannelData too, not as Data indications.
  const beforeChannelData = seen.length;
  const sent = payloads(1, MESSAGES);
  await windowed(
    (data) => client.send(data, peer.address),
    fromPeer,
    sent,
    `${transport}: echoes over channel ${channel}`,
  );
  t.assert.equal(fromPeer.items.length, MESSAGES);
  for (const { from } of fromPeer.items) t.assert.deepEqual(from, peer.address);
  t.assert.deepEqual(byIndex(fromPeer.items.map((d) => d.data)), sent);
  // The peer saw exactly these datagrams, all from the relayed transport address.
  t.assert.equal(peer.received.length, MESSAGES);
  for (const { from } of peer.received) t.assert.deepEqual(from, client.relayed);
  t.assert.deepEqual(byIndex(peer.received.map((d) => d.data)), sent);
  t.assert.deepEqual(indications(beforeChannelData), [0, 0]);

  // Send indications to a second peer on the same IP (covered by the permission), no channel:
  // its echoes come back as Data indications.
  const beforeIndications = seen.length;
  const indicated = payloads(2, INDICATIONS);
  await windowed(
    (data) => client.sendIndication(data, peer2.address),
    fromPeer2,
    indicated,
    `${transport}: echoes of Send indications`,
  );
  for (const { from } of fromPeer2.items) t.assert.deepEqual(from, peer2.address);
  t.assert.deepEqual(byIndex(fromPeer2.items.map((d) => d.data)), indicated);
  for (const { from } of peer2.received) t.assert.deepEqual(from, client.relayed);
  t.assert.deepEqual(byIndex(peer2.received.map((d) => d.data)), indicated);
  t.assert.deepEqual(indications(beforeIndications), [INDICATIONS, INDICATIONS]);
  t.diagnostic(
    `${transport}: relayed ${client.relayed.join(':')}, mapped ${client.mapped.join(':')}, channel 0x${channel.toString(16)}: ${MESSAGES}/${MESSAGES} ChannelData and ${INDICATIONS}/${INDICATIONS} Data indication echoes`,
  );
}

async function exchange(
  t: TestContext,
  from: WeriftIceAgent,
  to: WeriftIceAgent,
  tag: number,
): Promise<void> {
  const inbox = createInbox<Buffer>();
  to.onData((data) => {
    if (data.length >= 8 && data.readUInt32BE(0) === tag) inbox.push(data);
  });
  const sent = payloads(tag, ICE_MESSAGES);
  await windowed(
    async (data) => {
      await from.send(data);
    },
    inbox,
    sent,
    `ICE ${from.name} -> ${to.name}`,
  );
  t.assert.deepEqual(byIndex(inbox.items), sent);
}

async function iceThroughRelay(t: TestContext, fixture: Fixture, transport: TurnTransport) {
  const agents = await Promise.all(
    (['a', 'b'] as const).map((name) =>
      openIceAgent(t, fixture.werift, name, {
        controlling: name === 'a',
        server: fixture.server,
        username: ACCOUNT.user,
        password: ACCOUNT.password,
        transport,
      }),
    ),
  );
  const [a, b] = agents;
  if (a === undefined || b === undefined) throw new Error('two agents expected');
  for (const agent of agents) {
    // forceTurn: one relay candidate each, from pbxgate's relay range; nothing else.
    const candidates = agent.localCandidates();
    t.assert.deepEqual(
      candidates.map((c) => [c.type, c.transport]),
      [['relay', 'udp']],
      `${agent.name}: ${JSON.stringify(candidates)}`,
    );
    for (const c of candidates) assertRelayed(t, fixture, [c.host, c.port], `${agent.name} relay`);
  }
  await a.learnRemote(b);
  await b.learnRemote(a);
  await withDeadline(
    Promise.all([a.connect(), b.connect()]),
    ICE_CONNECT_TIMEOUT_MS,
    'ICE connect',
  );
  t.assert.deepEqual([a.state(), b.state()], ['connected', 'connected']);

  const selectedA = a.selectedPair();
  const selectedB = b.selectedPair();
  for (const [agent, pair] of [
    [a, selectedA],
    [b, selectedB],
  ] as const) {
    t.assert.deepEqual(
      pair && {
        local: pair.local.type,
        remote: pair.remote.type,
        protocol: pair.protocol,
        turnTransport: pair.turnTransport,
        state: pair.state,
        nominated: pair.nominated,
      },
      {
        local: 'relay',
        remote: 'relay',
        protocol: 'turn',
        turnTransport: transport,
        state: 'SUCCEEDED',
        nominated: true,
      },
      `${agent.name}: selected pair ${JSON.stringify(pair)}`,
    );
  }
  // Each side's pair is the other's, mirrored: relay A <-> relay B.
  t.assert.deepEqual(selectedA?.local, selectedB?.remote);
  t.assert.deepEqual(selectedA?.remote, selectedB?.local);

  await exchange(t, a, b, 3);
  await exchange(t, b, a, 4);
  t.diagnostic(`${transport}: a selected ${JSON.stringify(selectedA)}`);
  t.diagnostic(`${transport}: b selected ${JSON.stringify(selectedB)}`);
}

async function wrongPassword(t: TestContext, fixture: Fixture, transport: TurnTransport) {
  const seen: StunSeen[] = [];
  const started = performance.now();
  const outcome = await withDeadline(
    openTurnClient(
      t,
      fixture.werift,
      {
        server: fixture.server,
        username: ACCOUNT.user,
        password: `${ACCOUNT.password}-wrong`,
        transport,
      },
      { onStun: (message) => seen.push(message) },
    ).then(
      (client) => `allocated ${client.relayed.join(':')}`,
      (err: unknown) => describeFailure(fixture.werift, err),
    ),
    REFUSAL_TIMEOUT_MS,
    `${transport}: Allocate with a wrong password`,
  );
  const allocates = seen.filter((m) => m.method === 'ALLOCATE');
  const wire = formatWire(allocates);
  // werift-ice 0.2.3 ends with "timeout", not "error 401": it discards any response without
  // MESSAGE-INTEGRITY to a request that carried one, so it retransmits until its ~6.4 s are out.
  t.assert.match(outcome, /^(error 401|timeout)$/, `${transport}: ${outcome}\n${wire}`);

  const sent = allocates.filter((m) => m.direction === 'sent');
  const signed = new Set(
    sent.filter((m) => m.attributes.includes('MESSAGE-INTEGRITY')).map((m) => m.transactionId),
  );
  const answersTo = (ids: ReadonlySet<string>): StunSeen[] =>
    allocates.filter((m) => m.direction === 'received' && ids.has(m.transactionId));
  // The challenge: the first Allocate (no credentials) gets 401 with REALM and NONCE.
  const first = sent[0];
  t.assert.equal(first?.attributes.includes('MESSAGE-INTEGRITY'), false, wire);
  const challenge = answersTo(new Set([first?.transactionId ?? '']));
  t.assert.deepEqual(
    [...new Set(challenge.map(stunShape))],
    ['ERROR 401 +REALM +NONCE -XOR-RELAYED-ADDRESS'],
    wire,
  );
  // The retry with USERNAME, REALM, NONCE and MESSAGE-INTEGRITY: every answer (one per
  // retransmission) is 401 with REALM and NONCE again, never an allocation.
  t.assert.equal(
    signed.size > 0,
    true,
    `${transport}: werift never retried with credentials\n${wire}`,
  );
  const refusals = answersTo(signed);
  t.assert.deepEqual(
    [...new Set(refusals.map(stunShape))],
    ['ERROR 401 +REALM +NONCE -XOR-RELAYED-ADDRESS'],
    wire,
  );
  // pbxgate answers at once; any delay in the outcome is werift's.
  const firstSigned = sent.find((m) => signed.has(m.transactionId));
  const answerMs = (refusals[0]?.atMs ?? Infinity) - (firstSigned?.atMs ?? 0);
  t.assert.equal(answerMs < REFUSAL_ANSWER_MAX_MS, true, `${transport}: 401 after ${answerMs} ms`);
  t.diagnostic(
    `${transport}: werift: ${outcome} after ${Math.round(performance.now() - started)} ms; pbxgate: ${refusals.length} x 401 to ${signed.size} signed Allocate(s), first after ${answerMs.toFixed(1)} ms`,
  );
}

test(
  'werift-ice TURN clients and ICE agents work through pbxgate TURN on loopback',
  TIMEOUT,
  async (t) => {
    const werift = await loadWerift();
    if (werift instanceof Error) {
      t.skip(`werift-ice cannot be imported (npm install it, a devDependency): ${werift.message}`);
      return;
    }
    const { port, relayLow, relayHigh } = await loopbackTurnPorts(RELAY_PORTS);
    const gate = await startPbxgate(
      t,
      turnConfig({
        listen: [`udp://127.0.0.1:${port}`, `tcp://127.0.0.1:${port}`],
        realm: REALM,
        accounts: [ACCOUNT],
        relay: { address: '127.0.0.1', low: relayLow, high: relayHigh },
        allowedPeers: ['127.0.0.1/32'],
      }),
    );
    const fixture: Fixture = { werift, server: ['127.0.0.1', port], relayLow, relayHigh };

    for (const transport of TRANSPORTS) {
      await t.test(
        `${transport}: Allocate, CreatePermission, ChannelBind, ${MESSAGES} ChannelData echoes and ${INDICATIONS} Send/Data indication echoes`,
        (t) => relayEchoes(t, fixture, transport),
      );
    }
    for (const transport of TRANSPORTS) {
      await t.test(
        `${transport}: two ICE agents with forceTurn connect relay-to-relay and exchange ${ICE_MESSAGES} messages each way`,
        (t) => iceThroughRelay(t, fixture, transport),
      );
    }
    await t.test('udp and tcp: a wrong password is refused with 401', async (t) => {
      await Promise.all(TRANSPORTS.map((transport) => wrongPassword(t, fixture, transport)));
    });

    // pbxgate is still up and logged no error on the way.
    t.assert.equal(gate.process.child.exitCode, null, gate.process.output());
    const errors = gate
      .logs()
      .filter((line) => typeof line['level'] === 'number' && line['level'] >= 50);
    t.assert.deepEqual(errors, []);
  },
);
