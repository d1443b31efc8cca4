// What goes to the client for a response head the backend sent: the head as it came (or with
// `Connection: close` when the client connection ends after it), and with it the whole body when a
// Content-Length body already arrived in the same read, so a small response is one write.

import type { Socket } from 'node:net';
import { closesClient, closingResponseHead } from './closing-head.ts';
import type { ResponseHead } from './response-head.ts';

/** Head and body size when the head is followed by its whole Content-Length body; else 0. */
export function wholeResponseSize(head: ResponseHead): number {
  if (head.framing.kind !== 'length') return 0;
  const size = head.size + head.framing.length;
  return head.bytes.length >= size ? size : 0;
}

/**
 * Writes the head (and the whole body, when `whole` > 0) to the client; returns how many of
 * `head.bytes` were consumed.
 */
export function writeResponseHead(
  client: Socket,
  request: { readonly isPersistent: boolean },
  head: ResponseHead,
  whole: number,
): number {
  const { bytes } = head;
  const sent = whole > 0 ? whole : head.size;
  if (!head.isInterim && !head.isSwitchingProtocols && closesClient(request, head)) {
    client.write(closingResponseHead(head));
    if (sent > head.size) client.write(bytes.subarray(head.size, sent));
  } else {
    client.write(sent === bytes.length ? bytes : bytes.subarray(0, sent));
  }
  return sent;
}
