// Properties of the LDAP plug-in (CONVENTIONS §5): no input makes the framer, sniffer, refusal or
// watcher throw or hang, random bytes never route, generated binds route to their domain, and a
// watcher's verdicts do not depend on how the stream is cut.

import { test } from 'node:test';
import fc from 'fast-check';
import { decodeLdapHead, frameLdapMessage } from '../../../src/proxy/ldap/message.ts';
import { createLdapProtocol } from '../../../src/proxy/ldap/protocol.ts';
import {
  START_TLS_OID,
  int,
  message,
  readAnswer,
  response,
  tlv,
  tlv4,
  vectors,
  watchContext,
} from './support.ts';
import { REFUSAL_CAUSES } from '../../support/refusal-causes.ts';

const TIMEOUT = { timeout: 60_000 };
const ldap = createLdapProtocol();
const causes = REFUSAL_CAUSES;

const label = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,8}$/);
const user = fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/);

/** A bind name, the domain it routes to, and its user. */
const bindNameArb: fc.Arbitrary<{ name: string; domain: string; user: string }> = fc.oneof(
  fc.tuple(user, fc.array(label, { minLength: 1, maxLength: 3 })).map(([u, labels]) => ({
    name: [`CN=${u}`, ...labels.map((l) => `DC=${l}`)].join(','),
    domain: labels.join('.'),
    user: u,
  })),
  fc.tuple(user, label).map(([u, l]) => ({ name: `${l.toUpperCase()}\\${u}`, domain: l, user: u })),
  fc
    .tuple(user, label, label)
    .map(([u, a, b]) => ({ name: `${u}@${a}.${b}`, domain: `${a}.${b}`, user: u })),
);

const messageIdArb = fc.integer({ min: 1, max: 2 ** 31 - 1 });

/** Mostly names in example.com, the service the watcher tests route to. */
const watchedNameArb = fc.oneof(
  {
    weight: 4,
    arbitrary: user.map((u) => ({
      name: `cn=${u},DC=Example,dc=com`,
      domain: 'example.com',
      user: u,
    })),
  },
  { weight: 1, arbitrary: bindNameArb },
);

function bindArbOf(names: typeof bindNameArb) {
  return fc
    .record({ id: messageIdArb, who: names, password: user, windows: fc.boolean() })
    .map(({ id, who, password, windows }) => {
      const wrap = windows ? tlv4 : tlv;
      const bytes = wrap(
        0x30,
        int(id),
        wrap(0x60, int(3), wrap(0x04, who.name), wrap(0x80, password)),
      );
      return { bytes, id, ...who };
    });
}

const bindArb = bindArbOf(bindNameArb);

const otherMessageArb: fc.Arbitrary<Buffer> = fc.oneof(
  fc.constantFrom(
    vectors.searchBeforeBind,
    vectors.unbind,
    vectors.startTls,
    vectors.anonymousBind,
  ),
  fc
    .tuple(messageIdArb, fc.string({ maxLength: 300 }))
    .map(([id, dn]) =>
      message(
        id,
        tlv(
          0x63,
          tlv(0x04, dn),
          tlv(0x0a, '\x02'),
          tlv(0x0a, '\x00'),
          int(0),
          int(0),
          tlv(0x01, '\x00'),
          tlv(0x87, 'cn'),
          tlv(0x30),
        ),
      ),
    ),
  fc
    .tuple(messageIdArb, fc.integer({ min: 0, max: 80 }))
    .map(([id, code]) => response(id, 0x61, code)),
);

const validArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  bindArb.map((b) => b.bytes),
  otherMessageArb,
);

/** Random bytes, BER-shaped bytes (a SEQUENCE header, random contents) and valid messages with noise. */
const bytesArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc
    .tuple(fc.constantFrom(0x30, 0x60, 0x61, 0x77), fc.uint8Array({ maxLength: 120 }))
    .map(([tag, rest]) => tlv(tag, rest)),
  fc
    .tuple(validArb, fc.uint8Array({ maxLength: 8 }))
    .map(([m, noise]) => Buffer.concat([m, noise])),
);

/** Every way into the plug-in: sniff, refuse with each cause, a watcher both ways in pieces. */
function exercise(bytes: Uint8Array, pieces = 3): void {
  ldap.sniff(bytes);
  frameLdapMessage(bytes, 1000);
  decodeLdapHead(bytes);
  for (const cause of causes) ldap.refuse(bytes, cause);
  const watcher = ldap.createWatcher(watchContext('example.com'));
  const step = Math.max(1, Math.ceil(bytes.length / pieces));
  for (let at = 0; at < bytes.length; at += step) {
    const chunk = bytes.subarray(at, at + step);
    if (watcher.fromClient(chunk) !== 'pass') for (const cause of causes) ldap.refuse(chunk, cause);
    watcher.fromServer(chunk);
  }
}

test('arbitrary bytes never make the plug-in throw', TIMEOUT, () => {
  fc.assert(
    fc.property(bytesArb, fc.integer({ min: 1, max: 9 }), (bytes, pieces) => {
      exercise(bytes, pieces);
    }),
  );
});

test('random bytes never route', TIMEOUT, () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => ldap.sniff(bytes).kind !== 'route'),
  );
});

const mutationInputs = Object.entries(vectors);

test('every truncation of every vector is handled, and only a whole bind routes', TIMEOUT, (t) => {
  for (const [name, bytes] of mutationInputs) {
    for (let cut = 0; cut < bytes.length; cut++) {
      const prefix = bytes.subarray(0, cut);
      t.assert.notEqual(ldap.sniff(prefix).kind, 'route', `${name} cut ${cut}`);
      exercise(prefix);
    }
  }
});

test(
  'every octet of every vector moved by ±1 (length octets included) is handled',
  TIMEOUT,
  (t) => {
    for (const [name, bytes] of mutationInputs) {
      for (let at = 0; at < bytes.length; at++) {
        for (const delta of [1, 255]) {
          const copy = Buffer.from(bytes);
          copy[at] = ((copy[at] ?? 0) + delta) & 0xff;
          const result = ldap.sniff(copy);
          if (result.kind === 'route') {
            t.assert.match(
              result.services[0] ?? '',
              /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/,
              `${name} @${at}`,
            );
          }
          exercise(copy);
        }
      }
    }
  },
);

test('bit flips in valid messages are handled', TIMEOUT, () => {
  fc.assert(
    fc.property(validArb, fc.nat(), fc.nat(7), (bytes, at, bit) => {
      const copy = Buffer.from(bytes);
      const i = at % copy.length;
      copy[i] = (copy[i] ?? 0) ^ (1 << bit);
      exercise(copy);
    }),
  );
});

test(
  'generated simple binds route to their domain and are refused under their messageID',
  TIMEOUT,
  () => {
    fc.assert(
      fc.property(bindArb, ({ bytes, id, domain, user: identity }) => {
        const result = ldap.sniff(bytes);
        const refusal = readAnswer(ldap.refuse(bytes, 'unknown-service') ?? Buffer.alloc(0));
        return (
          result.kind === 'route' &&
          result.services.length === 1 &&
          result.services[0] === domain &&
          result.identity === identity &&
          result.size === bytes.length &&
          refusal?.messageId === id &&
          refusal.op === 0x61 &&
          refusal.resultCode === 53
        );
      }),
    );
  },
);

test('StartTLS with any messageID is answered under that messageID', () => {
  fc.assert(
    fc.property(messageIdArb, (id) => {
      const result = ldap.sniff(message(id, tlv(0x77, tlv(0x80, START_TLS_OID))));
      const answer = result.kind === 'starttls' ? readAnswer(result.reply) : undefined;
      return (
        answer?.messageId === id && answer.resultCode === 0 && answer.responseName === START_TLS_OID
      );
    }),
  );
});

interface Outcome {
  readonly verdicts: string[];
  readonly events: string[];
}

function converse(
  client: Uint8Array,
  server: Uint8Array,
  clientCuts: number[],
  serverCuts: number[],
): Outcome {
  const ctx = watchContext('example.com');
  const watcher = ldap.createWatcher(ctx);
  const verdicts: string[] = [];
  const cuts = (bytes: Uint8Array, at: number[]): Uint8Array[] => {
    const points = [...new Set(at.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
    return [0, ...points].map((start, i) => bytes.subarray(start, points[i] ?? bytes.length));
  };
  for (const chunk of cuts(client, clientCuts)) {
    const verdict = watcher.fromClient(chunk);
    if (verdict !== 'pass') {
      verdicts.push(verdict.reason);
      break;
    }
  }
  for (const chunk of cuts(server, serverCuts)) watcher.fromServer(chunk);
  return { verdicts, events: ctx.events };
}

test('a watcher reads the same whatever the cuts between chunks', TIMEOUT, (t) => {
  let counted = 0;
  const conversation = fc
    .array(fc.tuple(bindArbOf(watchedNameArb), fc.constantFrom(0, 14, 49), otherMessageArb), {
      minLength: 1,
      maxLength: 5,
    })
    .map((turns) => ({
      client: Buffer.concat(turns.flatMap(([bind, , other]) => [bind.bytes, other])),
      server: Buffer.concat(turns.map(([bind, code]) => response(bind.id, 0x61, code))),
    }));
  fc.assert(
    fc.property(
      conversation,
      fc.array(fc.nat(), { maxLength: 12 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      ({ client, server }, a, b) => {
        const whole = converse(client, server, [], []);
        const cut = converse(client, server, a, b);
        if (whole.events.length > 0) counted++;
        return JSON.stringify(whole) === JSON.stringify(cut);
      },
    ),
  );
  t.assert.equal(counted > 0, true); // the property saw 49s being counted
});
