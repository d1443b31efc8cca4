// tshark as an independent H.225.0 decoder (protocols.md §8): packets go into one pcap through
// text2pcap (TCP 40000 -> 1720, or UDP 1719 for bare RAS), tshark prints its tree as JSON, and the
// fields pbxgate reads are picked out of it in the shape `readWithPbxgate` gives them.

import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Alias } from '../../../../src/proxy/h323/h225-common.ts';
import { BODY_NAMES } from '../../../../src/proxy/h323/h225-body.ts';
import type { RasMessage } from '../../../../src/proxy/h323/h225-ras.ts';
import { resolveH323Limits } from '../../../../src/proxy/h323/limits.ts';
import { decodeSignalling, decodeTunnelledRas } from '../../../../src/proxy/h323/route.ts';
import { frameTpkt } from '../../../../src/proxy/h323/tpkt.ts';
import { hexDump } from '../../../support/tshark-tool.ts';

const run = promisify(execFile);

export { requireTshark } from '../../../support/tshark-tool.ts';

/** One message as read: the Q.931 type, the body, the tunnelled RAS, a Setup's destinations. */
export interface Reading {
  readonly messageType: string;
  readonly body: number | undefined;
  readonly ras: readonly RasReading[];
  readonly destination: readonly string[] | undefined;
}

export interface RasReading {
  /** The RasMessage CHOICE index as tshark numbers it (extensions after the 25 roots). */
  readonly index: number;
  /** GRQ/RRQ only. */
  readonly gatekeeperId: string | undefined;
  /** GRQ endpointAlias / RRQ terminalAlias as `kind=value`. */
  readonly aliases: readonly string[];
  /** GRJ/RRJ rejectReason as tshark numbers it (extensions after the roots). */
  readonly reason: number | undefined;
}

type Json = unknown;
type JsonObject = Readonly<Record<string, Json>>;

function isObject(node: Json): node is JsonObject {
  return typeof node === 'object' && node !== null && !Array.isArray(node);
}

/** Every object holding `key`, depth first, in document order. */
function holders(node: Json, key: string, out: JsonObject[] = []): JsonObject[] {
  if (Array.isArray(node)) for (const item of node) holders(item, key, out);
  if (!isObject(node)) return out;
  if (key in node) out.push(node);
  for (const value of Object.values(node)) holders(value, key, out);
  return out;
}

function first(node: Json, key: string): string | undefined {
  const value = holders(node, key)[0]?.[key];
  return typeof value === 'string' ? value : undefined;
}

const TSHARK_ALIAS = [
  'dialedDigits',
  'h323-ID',
  'url-ID',
  'transportID',
  'email-ID',
  'partyNumber',
];
const ALIAS_VALUES = [
  'h225.dialledDigits',
  'h225.h323_ID',
  'h225.url_ID',
  'h225.email_ID',
  'h225.publicNumberDigits',
];

function tsharkAliases(tree: Json): string[] {
  if (!isObject(tree)) return [];
  return Object.values(tree).map((item) => {
    const kind = TSHARK_ALIAS[Number(first(item, 'h225.AliasAddress'))] ?? 'unknown';
    const value = ALIAS_VALUES.map((key) => first(item, key)).find((v) => v !== undefined);
    return `${kind}=${value ?? ''}`;
  });
}

function tsharkRas(holder: JsonObject): RasReading {
  const index = Number(holder['h225.RasMessage']);
  const tree = holder['h225.RasMessage_tree'];
  const aliasKey = index === 0 ? 'h225.endpointAlias_tree' : 'h225.terminalAlias_tree';
  const reason = first(tree, 'h225.rejectReason');
  return {
    index,
    gatekeeperId: index === 0 || index === 3 ? first(tree, 'h225.gatekeeperIdentifier') : undefined,
    aliases:
      index === 0 || index === 3 ? tsharkAliases(holders(tree, aliasKey)[0]?.[aliasKey]) : [],
    reason: reason === undefined ? undefined : Number(reason),
  };
}

function tsharkReading(layers: Json): Reading & { readonly malformed: boolean } {
  const body = first(layers, 'h225.h323_message_body');
  const destination = holders(layers, 'h225.destinationAddress_tree')[0];
  return {
    messageType: first(layers, 'q931.message_type') ?? '',
    body: body === undefined ? undefined : Number(body),
    ras: holders(layers, 'h225.RasMessage').map(tsharkRas),
    destination:
      destination === undefined
        ? undefined
        : tsharkAliases(destination['h225.destinationAddress_tree']),
    malformed: holders(layers, '_ws.malformed').length > 0,
  };
}

/** Runs tshark over the packets, one per frame; TCP to 1720 or UDP to 1719 (bare RAS). */
async function tsharkLayers(
  packets: readonly Uint8Array[],
  transport: 'tcp' | 'udp',
): Promise<Json[]> {
  const dir = await mkdtemp(join(tmpdir(), 'pbxgate-h323-'));
  try {
    const pcap = join(dir, 'h323.pcap');
    const ports = transport === 'tcp' ? ['-T', '40000,1720'] : ['-u', '40000,1719'];
    const text2pcap = run('text2pcap', ['-q', ...ports, '-4', '192.0.2.1,192.0.2.2', '-', pcap]);
    text2pcap.child.stdin?.end(hexDump(packets));
    await text2pcap;
    const { stdout } = await run('tshark', ['-r', pcap, '-T', 'json', '--no-duplicate-keys'], {
      maxBuffer: 256 * 1024 * 1024,
    });
    const parsed: unknown = JSON.parse(stdout);
    return Array.isArray(parsed) ? parsed.map((p) => holders(p, 'layers')[0]?.['layers']) : [];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function readWithTshark(
  packets: readonly Uint8Array[],
): Promise<(Reading & { readonly malformed: boolean })[]> {
  return (await tsharkLayers(packets, 'tcp')).map(tsharkReading);
}

/** Bare RasMessages (as pbxgate extracted them) over UDP 1719. */
export async function readRasWithTshark(messages: readonly Uint8Array[]): Promise<RasReading[][]> {
  return (await tsharkLayers(messages, 'udp')).map((layers) =>
    holders(layers, 'h225.RasMessage').map(tsharkRas),
  );
}

const RAS_INDEX: Readonly<Record<string, number>> = {
  gatekeeperRequest: 0,
  gatekeeperConfirm: 1,
  gatekeeperReject: 2,
  registrationRequest: 3,
  registrationConfirm: 4,
  registrationReject: 5,
};

export function aliasText(alias: Alias): string {
  return `${alias.kind}=${alias.value ?? ''}`;
}

export function rasReading(message: RasMessage): RasReading {
  const index =
    message.kind === 'other'
      ? message.index + (message.extension ? 25 : 0)
      : (RAS_INDEX[message.kind] ?? -1);
  const isRequest = message.kind === 'gatekeeperRequest' || message.kind === 'registrationRequest';
  const isReject = message.kind === 'gatekeeperReject' || message.kind === 'registrationReject';
  const roots = message.kind === 'gatekeeperReject' ? 4 : 8;
  return {
    index,
    gatekeeperId: isRequest ? message.gatekeeperId : undefined,
    aliases: isRequest ? message.aliases.map(aliasText) : [],
    reason: isReject ? message.reason.index + (message.reason.extension ? roots : 0) : undefined,
  };
}

const limits = resolveH323Limits();

/** What pbxgate's decoder reads from one TPKT, and the RAS octets it takes out; undefined when
 * it does not decode. */
export function readWithPbxgate(
  bytes: Uint8Array,
): { readonly reading: Reading; readonly raw: readonly Uint8Array[] } | undefined {
  const frame = frameTpkt(bytes, limits.maxMessageBytes);
  if (frame.kind !== 'ok') return undefined;
  const decoded = decodeSignalling(frame.value.payload, limits);
  if ('problem' in decoded || decoded.info === undefined) return undefined;
  const { q931, info } = decoded;
  const ras = decodeTunnelledRas(info, limits);
  if (ras === undefined) return undefined;
  const bodies: readonly string[] = BODY_NAMES;
  const reading: Reading = {
    messageType: `0x${q931.messageType.toString(16).padStart(2, '0')}`,
    body: bodies.indexOf(info.body),
    ras: ras.map(rasReading),
    destination: info.destinationAddress?.map(aliasText),
  };
  return { reading, raw: info.ras.messages };
}
