// Headless Chromium (Debian's `chromium`, found on PATH) driven by playwright-core, and the WebRTC
// page scripts the TURN interop test runs in it. The scripts are plain JavaScript strings (no DOM
// types in this project, and no transpiler helpers leaking into the page); what they return is
// checked field by field before the test sees it.

import { X509Certificate, createHash } from 'node:crypto';
import type { TestContext } from 'node:test';
import { type Browser, type Page, chromium } from 'playwright-core';
import { findOnPath } from './tools.ts';

/** The Debian package and the program it installs. */
export const CHROMIUM = 'chromium';

/** Chromium with `args`; closed in t.after. */
export async function launchChromium(t: TestContext, args: readonly string[]): Promise<Browser> {
  const executablePath = findOnPath(CHROMIUM);
  if (executablePath === undefined) throw new Error(`${CHROMIUM} not found on PATH`);
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [...args],
    timeout: 30_000,
  });
  t.after(() => browser.close());
  return browser;
}

/**
 * The value of Chromium's --ignore-certificate-errors-spki-list for a certificate: base64 of the
 * SHA-256 of its SubjectPublicKeyInfo (DER). Only certificates with that key are let through.
 */
export function spkiPin(certificatePem: string): string {
  const spki = new X509Certificate(certificatePem).publicKey.export({
    type: 'spki',
    format: 'der',
  });
  return createHash('sha256').update(spki).digest('base64');
}

export interface IceServer {
  readonly urls: string;
  readonly username: string;
  readonly credential: string;
}

export interface CandidateError {
  readonly url: string;
  readonly errorCode: number;
  readonly errorText: string;
}

/** An RTCIceCandidateStats, the fields the test looks at. */
export interface CandidateStats {
  readonly candidateType: string;
  readonly address: string;
  readonly port: number;
  readonly protocol: string;
  /** Local candidates only: how the browser reached the TURN server (udp, tcp, tls). */
  readonly relayProtocol: string | undefined;
  /** Local candidates only: the ICE server URL it was gathered from. */
  readonly url: string | undefined;
}

export interface SelectedPair {
  readonly state: string;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly local: CandidateStats;
  readonly remote: CandidateStats;
}

export interface PeerReport {
  /** The a=candidate lines it gathered, in order. */
  readonly candidates: readonly string[];
  readonly errors: readonly CandidateError[];
  /** Data channel messages it received, in order. */
  readonly received: readonly string[];
  readonly connectionState: string;
  /** From getStats(): the transport's selectedCandidatePairId and its two candidates. */
  readonly selected: SelectedPair | undefined;
}

export interface RelayCallReport {
  /**
   * done: every message came back; stuck: a side gathered no candidate; failed: a side's
   * connectionState became 'failed'; timeout: the deadline passed first.
   */
  readonly outcome: 'done' | 'stuck' | 'failed' | 'timeout';
  readonly a: PeerReport;
  readonly b: PeerReport;
}

// Runs in the page. a and b share `iceServer` with iceTransportPolicy 'relay'; candidates and
// the offer/answer go straight from one to the other. a opens a data channel and sends every
// message; b answers each with 'echo: ' + message. Then getStats() on both.
const RELAY_CALL = `async (options) => {
  const config = { iceServers: [options.iceServer], iceTransportPolicy: 'relay' };
  const pcs = { a: new RTCPeerConnection(config), b: new RTCPeerConnection(config) };
  const seen = { a: { candidates: [], errors: [], received: [] }, b: { candidates: [], errors: [], received: [] } };
  const start = performance.now();
  let finish;
  const finished = new Promise((resolve) => { finish = resolve; });
  const deadline = setTimeout(() => finish('timeout'), options.timeoutMs);
  const gathered = () => pcs.a.iceGatheringState === 'complete' && pcs.b.iceGatheringState === 'complete';
  for (const [name, other] of [['a', 'b'], ['b', 'a']]) {
    const pc = pcs[name];
    pc.onicecandidate = (event) => {
      if (event.candidate === null || event.candidate.candidate === '') return;
      seen[name].candidates.push(event.candidate.candidate);
      pcs[other].addIceCandidate(event.candidate).catch((err) => {
        seen[name].errors.push({ url: 'addIceCandidate', errorCode: 0, errorText: String(err) });
      });
    };
    pc.onicecandidateerror = (event) => {
      seen[name].errors.push({ url: String(event.url), errorCode: event.errorCode, errorText: String(event.errorText) });
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed') finish('failed');
    };
    pc.onicegatheringstatechange = () => {
      if (gathered() && (seen.a.candidates.length === 0 || seen.b.candidates.length === 0)) finish('stuck');
    };
  }
  const complete = () => {
    if (seen.a.received.length === options.messages.length && seen.b.received.length === options.messages.length) finish('done');
  };
  const channel = pcs.a.createDataChannel('pbxgate');
  channel.onopen = () => { for (const message of options.messages) channel.send(message); };
  channel.onmessage = (event) => { seen.a.received.push(String(event.data)); complete(); };
  pcs.b.ondatachannel = (event) => {
    const answering = event.channel;
    answering.onmessage = (message) => {
      seen.b.received.push(String(message.data));
      answering.send('echo: ' + String(message.data));
      complete();
    };
  };
  await pcs.a.setLocalDescription(await pcs.a.createOffer());
  await pcs.b.setRemoteDescription(pcs.a.localDescription);
  await pcs.b.setLocalDescription(await pcs.b.createAnswer());
  await pcs.a.setRemoteDescription(pcs.b.localDescription);
  const outcome = await finished;
  clearTimeout(deadline);
  const candidate = (stats) => stats === undefined ? undefined : {
    candidateType: stats.candidateType, address: stats.address, port: stats.port, protocol: stats.protocol,
    relayProtocol: stats.relayProtocol, url: stats.url,
  };
  const report = async (name) => {
    const stats = await pcs[name].getStats();
    let selected;
    stats.forEach((transport) => {
      if (transport.type !== 'transport' || !transport.selectedCandidatePairId) return;
      const pair = stats.get(transport.selectedCandidatePairId);
      if (pair === undefined) return;
      selected = {
        state: pair.state, bytesSent: pair.bytesSent, bytesReceived: pair.bytesReceived,
        local: candidate(stats.get(pair.localCandidateId)), remote: candidate(stats.get(pair.remoteCandidateId)),
      };
    });
    return { ...seen[name], connectionState: pcs[name].connectionState, selected };
  };
  // The controlled side (b) may select the pair a nominated before its own check of it has an
  // answer ('in-progress'): the stats are read again until both pairs have succeeded.
  const settled = (peer) => peer.selected !== undefined && peer.selected.state === 'succeeded';
  let result;
  for (;;) {
    result = { outcome, a: await report('a'), b: await report('b') };
    if (outcome !== 'done' || (settled(result.a) && settled(result.b))) break;
    if (performance.now() - start > options.timeoutMs) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  pcs.a.close();
  pcs.b.close();
  return result;
}`;

// Runs in the page: one relay-only RTCPeerConnection gathers until gathering is complete.
const GATHER = `async (options) => {
  const pc = new RTCPeerConnection({ iceServers: [options.iceServer], iceTransportPolicy: 'relay' });
  const seen = { candidates: [], errors: [], received: [] };
  const outcome = await new Promise((resolve) => {
    const deadline = setTimeout(() => resolve('timeout'), options.timeoutMs);
    pc.onicecandidate = (event) => {
      if (event.candidate !== null && event.candidate.candidate !== '') seen.candidates.push(event.candidate.candidate);
    };
    pc.onicecandidateerror = (event) => {
      seen.errors.push({ url: String(event.url), errorCode: event.errorCode, errorText: String(event.errorText) });
    };
    pc.onicegatheringstatechange = () => {
      if (pc.iceGatheringState !== 'complete') return;
      clearTimeout(deadline);
      resolve('done');
    };
    pc.createDataChannel('pbxgate');
    pc.createOffer().then((offer) => pc.setLocalDescription(offer));
  });
  const result = { outcome, peer: { ...seen, connectionState: pc.connectionState, selected: undefined } };
  pc.close();
  return result;
}`;

function inPage(script: string, options: unknown): string {
  return `(${script})(${JSON.stringify(options)})`;
}

/** Two relay-only peer connections in `page` call each other through `iceServer`. */
export async function relayCall(
  page: Page,
  iceServer: IceServer,
  messages: readonly string[],
  timeoutMs: number,
): Promise<RelayCallReport> {
  const raw: unknown = await page.evaluate(inPage(RELAY_CALL, { iceServer, messages, timeoutMs }));
  const result = record(raw, 'result');
  const outcome = text(result, 'outcome');
  if (outcome !== 'done' && outcome !== 'stuck' && outcome !== 'failed' && outcome !== 'timeout') {
    throw new Error(`page result: unknown outcome ${outcome}`);
  }
  return { outcome, a: peerReport(result['a']), b: peerReport(result['b']) };
}

/** One relay-only peer connection in `page` gathers candidates from `iceServer`. */
export async function gatherRelay(
  page: Page,
  iceServer: IceServer,
  timeoutMs: number,
): Promise<{ readonly complete: boolean; readonly peer: PeerReport }> {
  const raw: unknown = await page.evaluate(inPage(GATHER, { iceServer, timeoutMs }));
  const result = record(raw, 'result');
  return { complete: text(result, 'outcome') === 'done', peer: peerReport(result['peer']) };
}

// What comes back from the page is unknown until checked.

type Fields = Readonly<Record<string, unknown>>;

function record(value: unknown, what: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`page result: ${what} is not an object: ${JSON.stringify(value)}`);
  }
  return value as Fields;
}

function text(fields: Fields, key: string): string {
  const value = fields[key];
  if (typeof value !== 'string') throw new Error(`page result: ${key} is not a string`);
  return value;
}

function optionalText(fields: Fields, key: string): string | undefined {
  return fields[key] === undefined ? undefined : text(fields, key);
}

function count(fields: Fields, key: string): number {
  const value = fields[key];
  if (typeof value !== 'number') throw new Error(`page result: ${key} is not a number`);
  return value;
}

function list(fields: Fields, key: string): readonly unknown[] {
  const value = fields[key];
  if (!Array.isArray(value)) throw new Error(`page result: ${key} is not a list`);
  return value as readonly unknown[];
}

function candidateStats(value: unknown, what: string): CandidateStats {
  const fields = record(value, what);
  return {
    candidateType: text(fields, 'candidateType'),
    address: text(fields, 'address'),
    port: count(fields, 'port'),
    protocol: text(fields, 'protocol'),
    relayProtocol: optionalText(fields, 'relayProtocol'),
    url: optionalText(fields, 'url'),
  };
}

function selectedPair(value: unknown): SelectedPair | undefined {
  if (value === undefined) return undefined;
  const fields = record(value, 'selected');
  return {
    state: text(fields, 'state'),
    bytesSent: count(fields, 'bytesSent'),
    bytesReceived: count(fields, 'bytesReceived'),
    local: candidateStats(fields['local'], 'local candidate'),
    remote: candidateStats(fields['remote'], 'remote candidate'),
  };
}

function peerReport(value: unknown): PeerReport {
  const fields = record(value, 'peer');
  const strings = (key: string): string[] =>
    list(fields, key).map((item) => text({ [key]: item }, key));
  return {
    candidates: strings('candidates'),
    errors: list(fields, 'errors').map((item) => {
      const error = record(item, 'error');
      return {
        url: text(error, 'url'),
        errorCode: count(error, 'errorCode'),
        errorText: text(error, 'errorText'),
      };
    }),
    received: strings('received'),
    connectionState: text(fields, 'connectionState'),
    selected: selectedPair(fields['selected']),
  };
}
