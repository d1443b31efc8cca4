// A TURN TCP/TLS connection interleaves STUN messages and ChannelData (RFC 8656 §12.4, §12.5):
// the first two bits of each message say which (RFC 7983 §7), and its own length field says where
// it ends.

import { type Decoded, incomplete, malformed, ok } from '../codec/decoded.ts';
import { frameStunMessage } from '../stun/framing.ts';
import type { StunHeaderProblem } from '../stun/header.ts';
import { CHANNEL_DATA_HEADER_SIZE, frameChannelData } from './channel-data.ts';

export type TurnStreamMessage = 'stun' | 'channel-data';

export type TurnStreamProblem = StunHeaderProblem | 'turn.channel-number' | 'turn.not-turn';

/**
 * Finds the first whole message in `bytes`: which kind and its size (STUN: 20 + the header's length;
 * ChannelData: 4 + its length padded to 4), or how many more bytes are needed at least. Reads at
 * most the first 20 bytes, allocates no buffer, and refuses a wrong first byte before waiting for
 * more, so a pipeline can hold a partial message under its byte limit.
 */
export function frameTurnStream(bytes: Uint8Array): Decoded<TurnStreamMessage, TurnStreamProblem> {
  const first = bytes[0];
  // The shortest message is a ChannelData header with no data.
  if (first === undefined) return incomplete(CHANNEL_DATA_HEADER_SIZE);
  switch (first >> 6) {
    case 0: {
      const frame = frameStunMessage(bytes);
      return frame.kind === 'ok' ? ok('stun', frame.size) : frame;
    }
    case 1: {
      const frame = frameChannelData(bytes);
      return frame.kind === 'ok' ? ok('channel-data', frame.size) : frame;
    }
    default:
      // 10 and 11 start neither STUN nor ChannelData (RFC 7983 gives 128-191 to RTP/RTCP).
      return malformed('turn.not-turn', 0);
  }
}
