// A tiny line protocol for pipeline tests: `ROUTE <service> [identity]\n` routes, `STARTTLS\n`
// upgrades, anything else is rejected; refusals are `REFUSED <cause>\n`.
import type {
  ProxyProtocol,
  RefusalCause,
  RequestKind,
  SniffResult,
  WatchContext,
  Watcher,
} from '../../../src/proxy/protocol.ts';

export interface TestProtocol extends ProxyProtocol {
  /** How often sniff ran (a blocked client must not cause one). */
  readonly sniffs: { count: number };
  readonly refusals: { message: string | undefined; cause: RefusalCause }[];
}

export interface TestProtocolOptions {
  readonly kind?: RequestKind;
  /** A client chunk containing this word is refused by the watcher. */
  readonly forbiddenWord?: string;
  /** A backend chunk containing this word makes the watcher report `test.denied`. */
  readonly deniedWord?: string;
}

export function createTestProtocol(options: TestProtocolOptions = {}): TestProtocol {
  const sniffs = { count: 0 };
  const refusals: TestProtocol['refusals'] = [];
  const protocol: TestProtocol = {
    kind: options.kind ?? 'sip',
    sniffs,
    refusals,
    sniff: (bytes) => {
      sniffs.count++;
      return sniffLine(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
    },
    refuse: (message, cause) => {
      refusals.push({ message: message && Buffer.from(message).toString('latin1'), cause });
      return Buffer.from(`REFUSED ${cause}\n`);
    },
  };
  const { forbiddenWord, deniedWord } = options;
  if (forbiddenWord === undefined && deniedWord === undefined) return protocol;
  return {
    ...protocol,
    createWatcher: (ctx: WatchContext): Watcher => ({
      fromClient: (chunk) => {
        if (forbiddenWord === undefined || !Buffer.from(chunk).includes(forbiddenWord))
          return 'pass';
        // The watcher answers for the refused message itself; here the chunk stands for it.
        refusals.push({ message: Buffer.from(chunk).toString('latin1'), cause: 'forbidden' });
        return {
          refuse: 'forbidden',
          reason: 'test.forbidden-word',
          answer: Buffer.from('REFUSED forbidden\n'),
        };
      },
      fromServer: (chunk) => {
        if (deniedWord !== undefined && Buffer.from(chunk).includes(deniedWord))
          ctx.suspicious('test.denied');
      },
    }),
  };
}

function sniffLine(bytes: Buffer): SniffResult {
  const end = bytes.indexOf('\n');
  if (end < 0) {
    const known = ['ROUTE ', 'STARTTLS'].some((word) =>
      word.startsWith(bytes.toString('latin1', 0, Math.min(bytes.length, word.length))),
    );
    return known ? { kind: 'need-more' } : { kind: 'reject', reason: 'test.unknown-command' };
  }
  const line = bytes.toString('latin1', 0, end);
  if (line === 'STARTTLS') return { kind: 'starttls', reply: Buffer.from('OK\n'), size: end + 1 };
  const [command, service, identity] = line.split(' ');
  if (command !== 'ROUTE' || service === undefined || service === '') {
    return { kind: 'reject', reason: 'test.bad-line' };
  }
  return { kind: 'route', services: [service], identity, size: end + 1 };
}
