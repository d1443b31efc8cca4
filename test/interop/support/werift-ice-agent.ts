// werift-ice's ICE agent (Connection, RFC 8445) with pbxgate as its only TURN server and
// forceTurn: relay candidates only, checks and data through the relay. Loading, leftovers and the
// TURN client are in werift.ts.

import type { TestContext } from 'node:test';
import type * as WeriftIce from 'werift-ice';
import { type TurnClientOptions, type Werift, inWerift, releaseLeftovers } from './werift.ts';

export interface IceAgentOptions extends TurnClientOptions {
  readonly controlling: boolean;
}

export interface CandidateView {
  readonly type: string;
  readonly transport: string;
  readonly host: string;
  readonly port: number;
}

export interface SelectedPairView {
  readonly local: CandidateView;
  readonly remote: CandidateView;
  /** The pair's protocol: 'turn' is werift's StunOverTurnProtocol (checks and data via the relay). */
  readonly protocol: string;
  /** How that protocol reaches the TURN server: 'udp', 'tcp' (werift falls back from UDP to TCP). */
  readonly turnTransport: string | undefined;
  /** werift's CandidatePairState name: SUCCEEDED once the check got its response. */
  readonly state: string;
  readonly nominated: boolean;
}

export interface WeriftIceAgent {
  readonly name: string;
  /** werift's Connection.state: new, completed (gathered), connected, failed, closed… */
  state(): string;
  localCandidates(): CandidateView[];
  /** Connection.nominated: the pair werift sends application data on. */
  selectedPair(): SelectedPairView | undefined;
  send(data: Buffer): Promise<void>;
  onData(listener: (data: Buffer) => void): void;
  /** setRemoteParams + every remote candidate + end-of-candidates. */
  learnRemote(remote: WeriftIceAgent): Promise<void>;
  connect(): Promise<void>;
}

function candidateView(candidate: WeriftIce.Candidate): CandidateView {
  const { type, transport, host, port } = candidate;
  return { type, transport, host, port };
}

const connections = new WeakMap<WeriftIceAgent, WeriftIce.Connection>();

/**
 * A werift Connection with pbxgate as its only TURN server and forceTurn (relay candidates only),
 * candidates gathered. Closed in t.after.
 */
export async function openIceAgent(
  t: TestContext,
  werift: Werift,
  name: string,
  options: IceAgentOptions,
): Promise<WeriftIceAgent> {
  const { ice } = werift;
  const connection = new ice.Connection(options.controlling, {
    forceTurn: true,
    turnServer: options.server,
    turnUsername: options.username,
    turnPassword: options.password,
    turnTransport: options.transport,
    useIpv6: false,
    interfaceAddresses: { udp4: '127.0.0.1' },
  });
  t.after(async () => {
    await connection.close();
    releaseLeftovers();
  });
  await inWerift(() => connection.gatherCandidates());
  const agent: WeriftIceAgent = {
    name,
    state: () => connection.state,
    localCandidates: () => connection.localCandidates.map(candidateView),
    selectedPair() {
      const pair = connection.nominated;
      if (pair === undefined) return undefined;
      const { protocol } = pair;
      return {
        local: candidateView(pair.localCandidate),
        remote: candidateView(pair.remoteCandidate),
        protocol: protocol.type,
        turnTransport:
          protocol instanceof ice.StunOverTurnProtocol ? protocol.turn.transport.type : undefined,
        state: ice.CandidatePairState[pair.state],
        nominated: pair.nominated || pair.remoteNominated,
      };
    },
    send: (data) => inWerift(() => connection.send(data)),
    onData(listener) {
      connection.onData.subscribe(listener);
    },
    async learnRemote(remote) {
      const other = connections.get(remote);
      if (other === undefined) throw new Error(`${remote.name}: not a werift agent of ours`);
      connection.setRemoteParams({
        iceLite: false,
        usernameFragment: other.localUsername,
        password: other.localPassword,
      });
      for (const candidate of other.localCandidates) {
        await inWerift(() => connection.addRemoteCandidate(candidate));
      }
      await inWerift(() => connection.addRemoteCandidate(undefined));
    },
    connect: () => inWerift(() => connection.connect()),
  };
  connections.set(agent, connection);
  return agent;
}
