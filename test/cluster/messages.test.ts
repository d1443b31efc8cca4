// The IPC messages between the primary and its workers: checked on receipt, never thrown on.
import { test } from 'node:test';
import fc from 'fast-check';
import { fromWorker, toWorker } from '../../src/cluster/messages.ts';

test('the messages of each side are recognised', (t) => {
  const entry = { key: '192.0.2.1', reason: 'manual', since: 1, manual: true };
  t.assert.deepEqual(
    toWorker({
      t: 'pbxgate:fraud-lists',
      lists: { blacklist: [entry], whitelist: ['10.0.0.0/8'] },
    }),
    { t: 'pbxgate:fraud-lists', lists: { blacklist: [entry], whitelist: ['10.0.0.0/8'] } },
  );
  t.assert.deepEqual(toWorker({ t: 'pbxgate:stop' }), { t: 'pbxgate:stop' });
  t.assert.deepEqual(toWorker({ t: 'pbxgate:metrics', id: 3 }), { t: 'pbxgate:metrics', id: 3 });
  t.assert.deepEqual(fromWorker({ t: 'pbxgate:suspicious', events: [['192.0.2.1', 'http.x']] }), {
    t: 'pbxgate:suspicious',
    events: [['192.0.2.1', 'http.x']],
  });
  t.assert.deepEqual(fromWorker({ t: 'pbxgate:tls-reloaded', id: 1, error: 'bad key' }), {
    t: 'pbxgate:tls-reloaded',
    id: 1,
    error: 'bad key',
  });
});

test('malformed and foreign messages are undefined', (t) => {
  t.assert.equal(
    toWorker({ t: 'pbxgate:fraud-lists', lists: { blacklist: [{ key: 1 }] } }),
    undefined,
  );
  t.assert.equal(toWorker({ t: 'pbxgate:metrics' }), undefined);
  t.assert.equal(toWorker({ type: 'prom-client:getMetricsReq' }), undefined);
  t.assert.equal(fromWorker({ t: 'pbxgate:suspicious', events: [['a']] }), undefined);
  t.assert.equal(fromWorker(null), undefined);
  t.assert.equal(fromWorker('pbxgate:ready'), undefined);
});

test('any JSON value: no throw', () => {
  fc.assert(
    fc.property(
      fc.jsonValue(),
      fc.constantFrom(
        'pbxgate:fraud-lists',
        'pbxgate:suspicious',
        'pbxgate:metrics',
        'pbxgate:tls-reloaded',
      ),
      (value, t) => {
        toWorker(value);
        fromWorker(value);
        toWorker({ t, lists: value, id: value, events: value });
        fromWorker({ t, events: value, id: value, error: value });
      },
    ),
  );
});
