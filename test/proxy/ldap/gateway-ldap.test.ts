// The LDAP watcher's refusal over real sockets: a later bind for another domain is answered by
// pbxgate with a BindResponse for that bind's messageID (the verdict's answer), and never reaches
// the directory.

import { test } from 'node:test';
import { createLdapProtocol } from '../../../src/proxy/ldap/protocol.ts';
import { readToClose, routedConnection } from '../support/harness.ts';
import { readAnswer, simpleBind, vectors } from './support.ts';

test('a later bind for another domain gets pbxgate’s BindResponse 50, and slapd never sees it', async (t) => {
  const { gateway, client, received } = await routedConnection(t, {
    type: 'ldap',
    protocol: createLdapProtocol(),
    service: 'example.com',
    first: vectors.simpleBind,
  });
  const closed = readToClose(client);
  client.write(simpleBind(4, 'other\\mallory', 'pw'));
  const answer = readAnswer(Buffer.from(await closed, 'latin1'));
  t.assert.deepEqual(answer && [answer.messageId, answer.op, answer.resultCode], [4, 0x61, 50]);
  t.assert.deepEqual(received(), vectors.simpleBind);
  t.assert.deepEqual(
    gateway.events.map((event) => event.reason),
    ['ldap.other-domain'],
  );
});
