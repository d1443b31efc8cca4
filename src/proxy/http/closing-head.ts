// The response head a client gets when we will close its connection after the response: the
// backend's Connection, Keep-Alive and Proxy-Connection fields replaced by `Connection: close`
// (RFC 9112 §9.6), so the client does not send another request into a closing socket.

import { Field } from './field-names.ts';
import type { ResponseHead } from './response-head.ts';

const CLOSE = Buffer.from('Connection: close\r\n\r\n', 'latin1');

/** Whether the client connection ends after this final response. */
export function closesClient(
  request: { readonly isPersistent: boolean },
  head: ResponseHead,
): boolean {
  return !request.isPersistent || head.framing.kind === 'close';
}

export function closingResponseHead(head: ResponseHead): Buffer {
  const { bytes, fields } = head;
  const parts: Uint8Array[] = [];
  let copyFrom = 0;
  for (let i = 0; i + 4 < fields.length; i += 5) {
    const id = fields[i + 4];
    if (id !== Field.connection && id !== Field.keepAlive && id !== Field.proxyConnection) continue;
    const lineStart = fields[i] ?? 0;
    const lineEnd = bytes.indexOf('\r\n', fields[i + 3] ?? 0, 'latin1') + 2;
    parts.push(bytes.subarray(copyFrom, lineStart));
    copyFrom = lineEnd;
  }
  parts.push(bytes.subarray(copyFrom, head.size - 2), CLOSE);
  return Buffer.concat(parts);
}
