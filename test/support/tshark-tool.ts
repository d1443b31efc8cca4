// tshark (Wireshark's dissectors) as an independent decoder in unit tests: present here and on CI.
import type { TestContext } from 'node:test';
import { findOnPath } from '../interop/support/tools.ts';

/**
 * True when tshark and text2pcap are on PATH. Otherwise the test is skipped, or fails when CI is
 * set (CI installs tshark), as test/interop/support/tools.ts `requireTool` does.
 */
export function requireTshark(t: TestContext): boolean {
  const missing = ['tshark', 'text2pcap'].filter((name) => findOnPath(name) === undefined);
  if (missing.length === 0) return true;
  const message = `tshark not installed: ${missing.join(', ')} not on PATH (Debian: apt-get install tshark)`;
  if (process.env['CI'] !== undefined && process.env['CI'] !== '')
    throw new Error(`${message}; CI must have it`);
  t.skip(message);
  return false;
}

/** text2pcap's input: one `od -Ax -tx1`-style dump per packet, offsets restarting at 0. */
export function hexDump(packets: readonly Uint8Array[]): string {
  const lines: string[] = [];
  for (const packet of packets) {
    for (let at = 0; at < packet.length; at += 16) {
      const octets = Buffer.from(packet.subarray(at, at + 16))
        .toString('hex')
        .replace(/(..)/g, '$1 ');
      lines.push(`${at.toString(16).padStart(6, '0')} ${octets.trim()}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
