// Parsers (pure) for what the reference STUN clients print: coturn's turnutils_stunclient and
// turnutils_natdiscovery, and stun-client 0.97's `stun -v` (formats as seen on Debian 12).

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export function parseHostPort(text: string): HostPort | undefined {
  const match = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(text.trim());
  if (!match) return undefined;
  const port = Number(match[2]);
  return port <= 65535 ? { host: match[1] ?? '', port } : undefined;
}

export function hostPort(host: string, port: number): string {
  return `${host}:${port}`;
}

export interface Rfc5780Response {
  readonly index: number;
  /** Each as host:port text; undefined when the block had no such line. */
  readonly responseOrigin: string | undefined;
  readonly otherAddress: string | undefined;
  readonly reflexive: string | undefined;
}

export interface CoturnClientOutput {
  /** The "RFC 5780 response N" blocks, in order. */
  readonly responses: readonly Rfc5780Response[];
  /** Every "UDP reflexive addr" line, in or out of a block. */
  readonly reflexive: readonly string[];
  /** natdiscovery's "NAT with X!" lines, as X. */
  readonly verdicts: readonly string[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const COTURN_FIELD = /(Response origin|Other addr|UDP reflexive addr):(?: :)? (\S+)$/;

function setCoturnField(block: Mutable<Rfc5780Response>, name: string, value: string): void {
  // turnutils prints "Response origin" twice in the first block: keep the first.
  if (name === 'Response origin') block.responseOrigin ??= value;
  else if (name === 'Other addr') block.otherAddress ??= value;
  else block.reflexive ??= value;
}

/** turnutils_stunclient / turnutils_natdiscovery stdout. */
export function parseCoturnClientOutput(text: string): CoturnClientOutput {
  const responses: Rfc5780Response[] = [];
  const reflexive: string[] = [];
  const verdicts: string[] = [];
  let current: Mutable<Rfc5780Response> | undefined;
  for (const line of text.split('\n').map((raw) => raw.trim())) {
    const block = /^RFC 5780 response (\d+)$/.exec(line);
    const verdict = /^NAT with (.+?)!$/.exec(line);
    const field = COTURN_FIELD.exec(line);
    if (block) {
      current = {
        index: Number(block[1]),
        responseOrigin: undefined,
        otherAddress: undefined,
        reflexive: undefined,
      };
      responses.push(current);
    } else if (/^=+$/.test(line)) {
      current = undefined;
    } else if (verdict) {
      verdicts.push(verdict[1] ?? '');
    } else if (field) {
      const [, name = '', value = ''] = field;
      if (name === 'UDP reflexive addr') reflexive.push(value);
      if (current) setCoturnField(current, name, value);
    }
  }
  return { responses, reflexive, verdicts };
}

export interface ClassicStunMessage {
  /** STUN message type as stun-client prints it in decimal: 257 = Binding success, 273 = error. */
  readonly type: number | undefined;
  readonly mapped: string | undefined;
  readonly source: string | undefined;
  readonly changed: string | undefined;
  /** 420 for "ErrorCode = 4 20 …". */
  readonly errorCode: number | undefined;
  readonly errorReason: string | undefined;
}

export interface ClassicStunOutput {
  readonly messages: readonly ClassicStunMessage[];
  /** "test I = 1" and friends, by name. */
  readonly tests: Readonly<Record<string, number>>;
  /** "Primary: Open" -> "Open". */
  readonly primary: string | undefined;
}

function emptyClassicMessage(): Mutable<ClassicStunMessage> {
  return {
    type: undefined,
    mapped: undefined,
    source: undefined,
    changed: undefined,
    errorCode: undefined,
    errorReason: undefined,
  };
}

/** One line inside a "Received stun message" block; true when the block ends with it. */
function readClassicLine(message: Mutable<ClassicStunMessage>, line: string): boolean {
  const typeLine = /^Received message of type (\d+)/.exec(line);
  if (typeLine) {
    message.type = Number(typeLine[1]);
    return true;
  }
  const address = /^(MappedAddress|SourceAddress|ChangedAddress) = (\S+)$/.exec(line);
  if (address) {
    const [, name, value = ''] = address;
    if (name === 'MappedAddress') message.mapped = value;
    else if (name === 'SourceAddress') message.source = value;
    else message.changed = value;
  }
  const error = /^ErrorCode = (\d+) (\d+)\s*(.*)$/.exec(line);
  if (error) {
    message.errorCode = Number(error[1]) * 100 + Number(error[2]);
    message.errorReason = error[3] ?? '';
  }
  return false;
}

const CLASSIC_TEST =
  /^(test [A-Z0-9()]+|is nat|mapped IP same|hairpin|preserver port)\s*=\s*(\d+)$/;

/** `stun HOST:PORT -v` output (stdout and stderr together). */
export function parseClassicStunOutput(text: string): ClassicStunOutput {
  const messages: ClassicStunMessage[] = [];
  const tests: Record<string, number> = {};
  let primary: string | undefined;
  let current: Mutable<ClassicStunMessage> | undefined;
  for (const line of text.split('\n').map((raw) => raw.trim())) {
    const test = CLASSIC_TEST.exec(line);
    const primaryLine = /^Primary: (.+)$/.exec(line);
    if (line.startsWith('Received stun message:')) {
      current = emptyClassicMessage();
      messages.push(current);
    } else if (test) {
      tests[test[1] ?? ''] = Number(test[2]);
    } else if (primaryLine) {
      primary = (primaryLine[1] ?? '').trim();
    } else if (current && readClassicLine(current, line)) {
      current = undefined;
    }
  }
  return { messages, tests, primary };
}
