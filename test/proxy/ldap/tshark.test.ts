// tshark as an independent decoder (protocols.md §8): the test vectors are the LDAP messages they
// claim to be, and the proxy's own answers (refusals, the StartTLS reply, the Notice of
// Disconnection) decode as the responses they claim to be. Skipped where tshark is not installed.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ResultCode } from '../../../src/proxy/ldap/ops.ts';
import { createLdapProtocol } from '../../../src/proxy/ldap/protocol.ts';
import type { RefusalCause } from '../../../src/proxy/protocol.ts';
import { message, response, simpleBind, tlv, vectors } from './support.ts';
import { requireTshark } from '../../support/tshark-tool.ts';
import { hexDump } from '../../support/tshark-tool.ts';

const ldap = createLdapProtocol();

/** One TCP segment per packet, all in one direction (`fromServer`: 389 -> 40000), through tshark. */
function tshark(
  packets: readonly Uint8Array[],
  fromServer: boolean,
  args: readonly string[],
): string {
  const dir = mkdtempSync(join(tmpdir(), 'pbxgate-ldap-'));
  try {
    const pcap = join(dir, 'x.pcap');
    const ports = fromServer ? '389,40000' : '40000,389';
    const hosts = fromServer ? '192.0.2.2,192.0.2.1' : '192.0.2.1,192.0.2.2';
    execFileSync('text2pcap', ['-q', '-T', ports, '-4', hosts, '-', pcap], {
      input: hexDump(packets),
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    return execFileSync('tshark', ['-r', pcap, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One row of `fields` per packet. */
function decode(
  packets: readonly Uint8Array[],
  fromServer: boolean,
  fields: readonly string[],
): string[][] {
  const args = ['-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=f'];
  return tshark(packets, fromServer, [...args, ...fields.flatMap((f) => ['-e', f])])
    .trimEnd()
    .split('\n')
    .map((line) => line.split('|'));
}

const REQUEST_FIELDS = [
  'ldap.messageID',
  'ldap.protocolOp',
  'ldap.version',
  'ldap.name',
  'ldap.authentication',
  'ldap.requestName',
  '_ws.malformed',
];

test('tshark reads the test vectors as the LDAP requests they are meant to be', (t) => {
  if (!requireTshark(t)) return;
  const rows = decode(
    [
      vectors.simpleBind,
      vectors.innovaphoneBind,
      vectors.windowsBind,
      vectors.startTls,
      vectors.anonymousBind,
      vectors.saslBind,
      vectors.searchBeforeBind,
      vectors.unbind,
    ],
    false,
    REQUEST_FIELDS,
  );
  t.assert.deepEqual(rows, [
    ['1', '0', '3', 'cn=admin,dc=example,dc=com', '0', '', ''],
    ['1', '0', '3', 'innovaphone\\alice', '0', '', ''],
    ['65', '0', '3', 'cn=admin,dc=corp,dc=example,dc=com', '0', '', ''],
    ['1', '23', '', '', '', '1.3.6.1.4.1.1466.20037', ''],
    ['1', '0', '3', '', '0', '', ''],
    ['1', '0', '3', '', '3', '', ''],
    ['1', '3', '', '', '', '', ''],
    ['3', '2', '', '', '', '', ''],
  ]);
});

const RESPONSE_FIELDS = [
  'ldap.messageID',
  'ldap.protocolOp',
  'ldap.resultCode',
  'ldap.matchedDN',
  'ldap.errorMessage',
  'ldap.responseName',
  '_ws.malformed',
];

test("tshark reads the proxy's answers as the LDAP responses they are meant to be", (t) => {
  if (!requireTshark(t)) return;
  const starttls = ldap.sniff(vectors.startTls);
  const refusals: [Uint8Array | undefined, RefusalCause][] = [
    [vectors.simpleBind, 'unknown-service'],
    [vectors.windowsBind, 'forbidden'],
    [simpleBind(300, 'pbx\\alice', 'pw'), 'backend-unavailable'],
    [vectors.anonymousBind, 'malformed'],
    [vectors.saslBind, 'malformed'],
    [vectors.searchBeforeBind, 'malformed'],
    [message(9, tlv(0x77, tlv(0x80, '1.3.6.1.4.1.4203.1.11.3'))), 'malformed'],
    [vectors.startTls, 'malformed'],
    [vectors.indefiniteBind, 'malformed'],
  ];
  const packets = [
    starttls.kind === 'starttls' ? starttls.reply : Buffer.alloc(0),
    ...refusals.map(([bytes, cause]) => ldap.refuse(bytes, cause) ?? Buffer.alloc(0)),
  ];
  t.assert.deepEqual(decode(packets, true, RESPONSE_FIELDS), [
    ['1', '24', '0', '', '', '1.3.6.1.4.1.1466.20037', ''],
    ['1', '1', '53', '', 'no service for this name', '', ''],
    ['65', '1', '50', '', 'access denied', '', ''],
    ['300', '1', '52', '', 'service unavailable', '', ''],
    ['1', '1', '48', '', 'credentials required', '', ''],
    ['1', '1', '7', '', 'authentication method not supported', '', ''],
    ['1', '5', '1', '', 'bind required first', '', ''],
    ['9', '24', '1', '', 'bind required first', '', ''],
    ['1', '24', '52', '', 'service unavailable', '', ''],
    ['0', '24', '2', '', 'protocol error', '1.3.6.1.4.1.1466.20036', ''],
  ]);
});

test("the resultCodes' numbers are the ones tshark names the same way (RFC 4511 App. A)", (t) => {
  if (!requireTshark(t)) return;
  const codes = Object.entries(ResultCode);
  const text = tshark(
    codes.map(([, code]) => response(1, 0x61, code)),
    true,
    ['-V', '-O', 'ldap'],
  );
  const named = [...text.matchAll(/resultCode: (\w+) \((\d+)\)/g)].map((m) => [
    (m[1] ?? '').toLowerCase(),
    Number(m[2]),
  ]);
  t.assert.deepEqual(
    named,
    codes.map(([name, code]) => [name.toLowerCase(), code]),
  );
});
