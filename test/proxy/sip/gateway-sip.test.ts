// The SIP watcher's refusal over real sockets: a later request naming another domain is answered
// by pbxgate with a 403 built from that request (the verdict's answer), and never reaches the PBX.

import { test } from 'node:test';
import { createSipProtocol } from '../../../src/proxy/sip/protocol.ts';
import {
  connectPlain,
  readToClose,
  startBackend,
  startGateway,
  waitFor,
} from '../support/harness.ts';
import { request } from './messages.ts';

test('a later request for another domain gets a 403 built from it, and the PBX never sees it', async (t) => {
  const backend = await startBackend(t, 'pbx', { greet: false, echo: false });
  const gateway = await startGateway(t, {
    services: [{ name: 'example.com', host: '127.0.0.1', ports: { sip: { tcp: backend.port } } }],
    protocol: createSipProtocol({ newTag: () => 'gw-tag' }),
  });
  const client = await connectPlain(gateway.port);
  const first = request();
  client.write(first);
  const pbx = await backend.nextConnection();
  await waitFor(() => Buffer.concat(pbx.received).length === first.length);
  const closed = readToClose(client);
  client.write(request({ cseq: 7, callId: 'evil', from: '<sip:eve@example.net>;tag=3' }));
  const answer = await closed;
  t.assert.match(answer, /^SIP\/2\.0 403 Forbidden\r\n/);
  t.assert.match(answer, /\r\nCall-ID: evil\r\nCSeq: 7 REGISTER\r\n/);
  t.assert.match(answer, /\r\nTo: <sip:alice@example\.com>;tag=gw-tag\r\n/);
  t.assert.deepEqual(Buffer.concat(pbx.received), first);
  t.assert.deepEqual(
    gateway.events.map((event) => event.reason),
    ['sip.other-domain'],
  );
});
