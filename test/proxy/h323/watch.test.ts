// The H.323 watcher: security-denial GRJ/RRJ from the server counted against the client's own
// requests, later registrations held to the routed service (slave and master services included),
// bytes that are not H.323 refused, and the same verdicts however the streams are cut.

import { test } from 'node:test';
import { createH323Protocol } from '../../../src/proxy/h323/protocol.ts';
import type { WatchContext, WatchVerdict, Watcher } from '../../../src/proxy/protocol.ts';
import { encodeGcf, encodeRcf } from './support/h225-encode.ts';
import {
  encodeQ931,
  encodeUserInformation,
  h46017,
  rasFacility,
  tpkt,
} from './support/h225-messages.ts';
import { fromHex } from './support/per-writer.ts';
import { DOC_RRQ_FACILITY } from './support/doc-vectors.ts';
import { grj, grq, rrj, rrq, setup } from './support/builders.ts';

const h323 = createH323Protocol();

interface Watched {
  readonly watcher: Watcher;
  readonly events: string[];
}

function watch(service: string, first: Uint8Array = rasFacility(rrq(service))): Watched {
  const events: string[] = [];
  const ctx: WatchContext = {
    service,
    remoteIp: '192.0.2.7',
    suspicious: (reason) => events.push(reason),
  };
  const watcher = h323.createWatcher(ctx);
  if (first.length > 0 && watcher.fromClient(first) !== 'pass')
    throw new Error('first message refused');
  return { watcher, events };
}

/** Feeds `bytes` in pieces of `size`; the first verdict that is not 'pass' and where it came. */
function feed(
  watcher: Watcher,
  bytes: Uint8Array,
  size = bytes.length,
): { verdict: WatchVerdict; at: number } {
  for (let at = 0; at < bytes.length; at += size) {
    const verdict = watcher.fromClient(bytes.subarray(at, at + size));
    if (verdict !== 'pass') return { verdict, at };
  }
  return { verdict: 'pass', at: bytes.length };
}

function serve(watcher: Watcher, bytes: Uint8Array, size = bytes.length): void {
  for (let at = 0; at < bytes.length; at += size) watcher.fromServer(bytes.subarray(at, at + size));
}

const OTHER = { refuse: 'forbidden', reason: 'h323.other-gatekeeper' } as const;

test('an RRJ securityDenial answering the RRQ is suspicious once', (t) => {
  const { watcher, events } = watch('pbx.example.com');
  serve(watcher, rrj({ extension: 3 }, 8));
  t.assert.deepEqual(events, ['h323.registration-rejected']);
  serve(watcher, rrj({ extension: 3 }, 8)); // answered already
  t.assert.deepEqual(events, ['h323.registration-rejected']);
});

test('RRJ securityError and GRJ securityDenial / securityError count; other reasons do not', (t) => {
  const counted = (first: Uint8Array, answer: Uint8Array): string[] => {
    const { watcher, events } = watch('pbx.example.com', first);
    serve(watcher, answer);
    return events;
  };
  const rrqFirst = rasFacility(rrq('pbx.example.com'));
  const grqFirst = rasFacility(grq('pbx.example.com'));
  t.assert.deepEqual(counted(rrqFirst, rrj({ extension: 9 })), ['h323.registration-rejected']);
  t.assert.deepEqual(counted(grqFirst, grj({ extension: 0 })), ['h323.gatekeeper-rejected']);
  t.assert.deepEqual(counted(grqFirst, grj({ extension: 3 })), ['h323.gatekeeper-rejected']);
  for (const reason of [
    { root: 4, aliases: [{ kind: 'h323-ID', value: 'alice' }] },
    { root: 6 },
    { extension: 2 },
    { extension: 4 },
    { extension: 1 },
  ] as const) {
    t.assert.deepEqual(counted(rrqFirst, rrj(reason)), [], JSON.stringify(reason));
  }
  t.assert.deepEqual(counted(grqFirst, grj({ root: 1 })), []);
  t.assert.deepEqual(counted(grqFirst, rrj({ extension: 3 }, 7)), []); // an RRJ does not answer a GRQ
});

test('a reject is counted only for a request of this client, not after its confirm', (t) => {
  const { watcher, events } = watch('pbx.example.com');
  serve(watcher, rrj({ extension: 3 }, 99));
  t.assert.deepEqual(events, []);
  serve(watcher, rasFacility(encodeRcf(8, 'pbx.example.com'), { fromDestination: true }));
  serve(watcher, rrj({ extension: 3 }, 8));
  t.assert.deepEqual(events, []);
  t.assert.equal(watcher.fromClient(rasFacility(grq('pbx.example.com'))), 'pass');
  serve(watcher, rasFacility([encodeGcf(7, 'pbx.example.com')], { fromDestination: true }));
  serve(watcher, grj({ extension: 0 }, 7));
  t.assert.deepEqual(events, []);
});

test('a server reject split across chunks is counted once', (t) => {
  for (const size of [1, 3, 10, 33]) {
    const { watcher, events } = watch('pbx.example.com');
    serve(watcher, Uint8Array.from([...fromHex('03 00 00 04'), ...rrj({ extension: 3 }, 8)]), size);
    t.assert.deepEqual(events, ['h323.registration-rejected'], `chunks of ${size}`);
  }
});

test('a later registration for another gatekeeper is refused, and stays refused', (t) => {
  const { watcher } = watch('pbx.example.com');
  t.assert.equal(watcher.fromClient(rasFacility(rrq('PBX.Example.COM'))), 'pass');
  t.assert.equal(watcher.fromClient(rasFacility(rrq(undefined))), 'pass'); // to this gatekeeper
  t.assert.deepEqual(watcher.fromClient(rasFacility(grq('other.example.com'))), OTHER);
  t.assert.deepEqual(watcher.fromClient(rasFacility(rrq('pbx.example.com'))), OTHER);
});

test('a tunnelled RRQ for another gatekeeper is refused in any message that carries it', (t) => {
  const { watcher } = watch('pbx.example.com');
  const userUser = encodeUserInformation({
    body: { kind: 'callProceeding' },
    genericData: [h46017(rrq('other.example'))],
  });
  t.assert.deepEqual(
    watcher.fromClient(tpkt(encodeQ931({ callReference: 5, messageType: 0x02, userUser }))),
    OTHER,
  );
});

test('routed to a slave service, a later registration to the master is another service', (t) => {
  const { watcher } = watch('pbx.example.com/site2', DOC_RRQ_FACILITY);
  t.assert.equal(watcher.fromClient(rasFacility(rrq('desk@pbx.example.com/SITE2'))), 'pass');
  t.assert.equal(watcher.fromClient(rasFacility(rrq('pbx.example.com/site2:site9'))), 'pass');
  t.assert.deepEqual(watcher.fromClient(rasFacility(rrq('pbx.example.com'))), OTHER);
});

test('routed to the master for lack of a slave, only locations known to be missing pass', (t) => {
  const { watcher } = watch('pbx.example.com', DOC_RRQ_FACILITY);
  t.assert.equal(watcher.fromClient(rasFacility(rrq('pbx.example.com'))), 'pass');
  t.assert.equal(watcher.fromClient(rasFacility(rrq('pbx.example.com/site2'))), 'pass');
  t.assert.deepEqual(watcher.fromClient(rasFacility(rrq('pbx.example.com/site3'))), OTHER);
});

test('after an unregistered call, a registration must name the called domain exactly', (t) => {
  const first = setup([{ kind: 'email-ID', value: 'bob@example.com' }]);
  t.assert.equal(
    watch('example.com', first).watcher.fromClient(rasFacility(rrq('example.com'))),
    'pass',
  );
  t.assert.deepEqual(
    watch('example.com', first).watcher.fromClient(rasFacility(rrq('example.com/x'))),
    OTHER,
  );
});

test('bytes that are not H.323 are refused as malformed', (t) => {
  const refusal = (bytes: Uint8Array): WatchVerdict =>
    watch('pbx.example.com').watcher.fromClient(bytes);
  t.assert.deepEqual(refusal(fromHex('16 03 01')), {
    refuse: 'malformed',
    reason: 'h323.not-tpkt',
  });
  t.assert.deepEqual(refusal(tpkt(fromHex('09 02 00 00 62'))), {
    refuse: 'malformed',
    reason: 'h323.not-q931',
  });
  t.assert.deepEqual(refusal(tpkt(encodeQ931({ messageType: 0x62, userUser: fromHex('ff ff') }))), {
    refuse: 'malformed',
    reason: 'h323.undecodable',
  });
  t.assert.deepEqual(refusal(rasFacility(fromHex('06 00'))), {
    refuse: 'malformed',
    reason: 'h323.undecodable',
  });
  t.assert.deepEqual(refusal(rasFacility(rrq('a/b/c'))), {
    refuse: 'malformed',
    reason: 'h323.bad-gatekeeper-id',
  });
  t.assert.equal(refusal(fromHex('03 00 00 04')), 'pass');
  t.assert.equal(refusal(tpkt(encodeQ931({ callReference: 3, messageType: 0x7d }))), 'pass'); // no UUIE
});

test('a client frame over the cap is refused as too large', (t) => {
  const small = createH323Protocol({ maxMessageBytes: 200 });
  const watcher = small.createWatcher({
    service: 'pbx.example.com',
    remoteIp: '192.0.2.7',
    suspicious: () => undefined,
  });
  t.assert.equal(watcher.fromClient(rasFacility(rrq('pbx.example.com'))), 'pass');
  t.assert.deepEqual(watcher.fromClient(fromHex('03 00 01 00')), {
    refuse: 'too-large',
    reason: 'h323.too-large',
  });
});

test('the verdict falls on the chunk that completes the refused message, however cut', (t) => {
  const later = rasFacility(rrq('other.example'));
  const stream = Uint8Array.from([
    ...fromHex('03 00 00 04'),
    ...rasFacility(grq('pbx.example.com')),
    ...later,
    ...later,
  ]);
  const end = stream.length - later.length; // the first refused message ends here
  for (const size of [1, 2, 5, 16, 64, 200]) {
    const { watcher } = watch('pbx.example.com');
    const { verdict, at } = feed(watcher, stream, size);
    t.assert.deepEqual(verdict, OTHER, `chunks of ${size}`);
    t.assert.equal(at < end && at + size >= end, true, `chunks of ${size}: refused at ${at}`);
  }
});

test('a server that stops speaking TPKT is no longer watched', (t) => {
  const { watcher, events } = watch('pbx.example.com');
  watcher.fromServer(fromHex('48 54 54 50'));
  serve(watcher, rrj({ extension: 3 }, 8));
  t.assert.deepEqual(events, []);
});

test('oversized server frames are skipped by count, and what follows is still read', (t) => {
  const small = createH323Protocol({ maxMessageBytes: 300 });
  const events: string[] = [];
  const watcher = small.createWatcher({
    service: 'pbx.example.com',
    remoteIp: '192.0.2.7',
    suspicious: (r) => events.push(r),
  });
  watcher.fromClient(rasFacility(rrq('pbx.example.com')));
  serve(watcher, Uint8Array.from([...tpkt(new Uint8Array(1000)), ...rrj({ extension: 3 }, 8)]), 97);
  t.assert.deepEqual(events, ['h323.registration-rejected']);
});
