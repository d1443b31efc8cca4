// The SIP watcher's refusal over real sockets: a later request naming another domain is answered
// by pbxgate with a 403 built from that request (the verdict's answer), and never reaches the PBX.

import { test } from 'node:test';
import { createSipProtocol } from '../../../src/proxy/sip/protocol.ts';
import { readToClose, routedConnection } from '../support/harness.ts';
import { request } from './messages.ts';

test('a later request for another domain gets a 403 built from it, and the PBX never sees it', async (t) => {
  const first = request();
  const { gateway, client, received } = await routedConnection(t, {
    protocol: createSipProtocol({ newTag: () => 'gw-tag' }),
    service: 'example.com',
    first,
  });
  const closed = readToClose(client);
  client.write(request({ cseq: 7, callId: 'evil', from: '<sip:eve@example.net>;tag=3' }));
  const answer = await closed;
  t.assert.match(answer, /^SIP\/2\.0 403 Forbidden\r\n/);
  t.assert.match(answer, /\r\nCall-ID: evil\r\nCSeq: 7 REGISTER\r\n/);
  t.assert.match(answer, /\r\nTo: <sip:alice@example\.com>;tag=gw-tag\r\n/);
  t.assert.deepEqual(received(), first);
  t.assert.deepEqual(
    gateway.events.map((event) => event.reason),
    ['sip.other-domain'],
  );
});
