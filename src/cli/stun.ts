// `pbxgate stun HOST[:PORT]`: ask a STUN server for our mapped address and print it.

import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { parseDuration } from '../config/duration.ts';
import { PbxgateError } from '../errors.ts';
import { withDeadline } from '../net/deadline.ts';
import { readBindingResult } from '../stun/binding-result.ts';
import { StunUdpClient, buildBindingRequest, familyOf, type StunResponse } from '../stun/client.ts';
import { firstAnswer, transactStream } from '../stun/client-stream.ts';
import { type CommandIo, type ExitCode, parseCommandArgs } from './args.ts';

export const stunUsage =
  'pbxgate stun HOST[:PORT] [--transport udp|tcp|tls] [--timeout 5s] [--insecure] [--json]   print the mapped address';

const DEFAULT_PORTS = { udp: 3478, tcp: 3478, tls: 5349 } as const;
type Transport = keyof typeof DEFAULT_PORTS;

export function parseServer(
  text: string,
  defaultPort: number,
): { host: string; port: number } | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return withPort(bracketed[1] ?? '', bracketed[2], defaultPort);
  if (isIP(text) === 6) return { host: text, port: defaultPort };
  const [host = '', port, extra] = text.split(':');
  if (extra !== undefined || host === '') return undefined;
  return withPort(host, port, defaultPort);
}

function withPort(host: string, port: string | undefined, defaultPort: number) {
  if (port === undefined) return { host, port: defaultPort };
  const n = Number(port);
  return /^\d+$/.test(port) && n >= 1 && n <= 65535 ? { host, port: n } : undefined;
}

export async function runStun(argv: readonly string[], io: CommandIo): Promise<ExitCode> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      transport: { type: 'string', short: 't', default: 'udp' },
      timeout: { type: 'string', default: '10s' },
      insecure: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    'stun',
  );
  const transport = values.transport as Transport;
  if (!(transport in DEFAULT_PORTS))
    throw new PbxgateError('PBX_ERR_USAGE', `pbxgate stun: --transport must be udp, tcp or tls`);
  const timeoutMs = parseDuration(values.timeout);
  if (timeoutMs === undefined)
    throw new PbxgateError('PBX_ERR_USAGE', `pbxgate stun: --timeout wants a duration like 5s`);
  const server =
    positionals.length === 1
      ? parseServer(positionals[0] ?? '', DEFAULT_PORTS[transport])
      : undefined;
  if (!server)
    throw new PbxgateError('PBX_ERR_USAGE', 'pbxgate stun: give one server as HOST[:PORT]');

  const addresses = isIP(server.host)
    ? [server.host]
    : (await lookup(server.host, { all: true })).map((a) => a.address);
  let answer;
  try {
    answer = await firstAnswer(addresses, (address, signal) =>
      ask(transport, address, server.port, server.host, timeoutMs, values.insecure, signal),
    );
  } catch (err) {
    io.err(
      `pbxgate stun: ${positionals[0] ?? ''} over ${transport}: ${describeFailure(err, values.timeout)}`,
    );
    return 1;
  }
  const result = readBindingResult(answer.result.message);
  if (typeof result === 'string' || result.error || !result.mapped) {
    const why =
      typeof result === 'string'
        ? result
        : result.error
          ? `error ${result.error.code} ${result.error.reason}`
          : 'no mapped address';
    io.err(`pbxgate stun: ${answer.target}: ${why}`);
    return 1;
  }
  const { mapped } = result;
  const from = answer.result.from;
  if (values.json) {
    io.out(
      JSON.stringify({
        mapped,
        from,
        transport,
        rttMs: Math.round(answer.result.rttMs * 10) / 10,
        responseOrigin: result.responseOrigin,
        otherAddress: result.otherAddress,
      }),
    );
  } else {
    io.out(`mapped address: ${formatAddress(mapped.address, mapped.port)}`);
    io.out(
      `answered by: ${transport}://${formatAddress(from.address, from.port)} in ${answer.result.rttMs.toFixed(1)} ms`,
    );
    if (result.otherAddress)
      io.out(
        `other address (RFC 5780): ${formatAddress(result.otherAddress.address, result.otherAddress.port)}`,
      );
  }
  return 0;
}

function formatAddress(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

async function ask(
  transport: Transport,
  address: string,
  port: number,
  servername: string,
  timeoutMs: number,
  insecure: boolean,
  signal: AbortSignal,
): Promise<StunResponse> {
  const request = buildBindingRequest();
  if (transport !== 'udp') {
    const tls =
      transport === 'tls'
        ? { servername: isIP(servername) ? '' : servername, rejectUnauthorized: !insecure }
        : undefined;
    return transactStream(request, { address, port, ...(tls ? { tls } : {}) }, timeoutMs, signal);
  }
  const client = new StunUdpClient(familyOf(address));
  try {
    await client.bind();
    // Retransmit per RFC 8489 but stop at the user's timeout.
    const deadline = withDeadline(signal, timeoutMs);
    try {
      return await client.transact(request, { address, port }, undefined, deadline.signal);
    } finally {
      deadline.clear();
    }
  } finally {
    client.close();
  }
}

/** The first failure that is not a plain timeout (a TLS certificate error, say), else "no answer". */
function describeFailure(err: unknown, timeout: string): string {
  const errors = err instanceof AggregateError ? (err.errors as unknown[]) : [err];
  for (const error of errors) {
    const cause = error instanceof Error ? error.cause : undefined;
    if (cause instanceof Error) return cause.message;
  }
  return `no answer within ${timeout}`;
}
