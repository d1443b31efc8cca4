// ChannelData (RFC 8656 §12.4): relayed data on a bound channel behind a 4-byte header in place of
// a 36-byte-plus Send/Data indication.

import { type Decoded, incomplete, malformed, ok } from '../codec/decoded.ts';
import { isChannelNumber } from './attributes.ts';

export const CHANNEL_DATA_HEADER_SIZE = 4;
/** The length field is 16 bits; every UDP payload (at most 65,527 bytes) fits. */
export const MAX_CHANNEL_DATA_LENGTH = 0xffff;

export interface ChannelData {
  readonly channel: number;
  /** The application data: a view into the input, no copy, padding excluded. */
  readonly data: Uint8Array;
}

export type ChannelDataProblem =
  'turn.channel-data-short' | 'turn.channel-number' | 'turn.channel-data-length';

/**
 * RFC 7983 §7 demultiplexing on a TURN port: the first two bits are 00 for STUN and 01 for
 * ChannelData (first byte 0x40-0x7F).
 */
export function isChannelDataStart(firstByte: number): boolean {
  return (firstByte & 0xc0) === 0x40;
}

/** The channel range 0x4000-0x7FFF is exactly a first byte of 0x40-0x7F: refusable from one byte. */
function isChannelFirstByte(firstByte: number): boolean {
  return (firstByte & 0xc0) === 0x40;
}

function lengthField(bytes: Uint8Array): number {
  return ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0);
}

/**
 * Over TCP/TLS the message is padded to a multiple of 4 and the padding is not in the length
 * (RFC 8656 §12.5): finds the whole first message's size, or how many more bytes are needed. A
 * first byte outside 0x40-0x7F is refused at once so a stream framer need not wait for more.
 */
export function frameChannelData(bytes: Uint8Array): Decoded<number, 'turn.channel-number'> {
  const first = bytes[0];
  if (first === undefined) return incomplete(CHANNEL_DATA_HEADER_SIZE);
  if (!isChannelFirstByte(first)) return malformed('turn.channel-number', 0);
  if (bytes.length < CHANNEL_DATA_HEADER_SIZE)
    return incomplete(CHANNEL_DATA_HEADER_SIZE - bytes.length);
  const size = CHANNEL_DATA_HEADER_SIZE + ((lengthField(bytes) + 3) & ~3);
  if (bytes.length < size) return incomplete(size - bytes.length);
  return ok(size, size);
}

function channelData(bytes: Uint8Array): ChannelData {
  return {
    channel: ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0),
    data: bytes.subarray(CHANNEL_DATA_HEADER_SIZE, CHANNEL_DATA_HEADER_SIZE + lengthField(bytes)),
  };
}

/**
 * Decodes the ChannelData message at the start of `bytes`. `size` covers the padding when
 * `isStream`. A datagram is the whole message: a length beyond its end is malformed (RFC 8656
 * §12.6 discards it), and bytes after the data are optional padding (§12.5), so they are allowed.
 */
export function decodeChannelData(
  bytes: Uint8Array,
  isStream: boolean,
): Decoded<ChannelData, ChannelDataProblem> {
  if (isStream) {
    const frame = frameChannelData(bytes);
    if (frame.kind !== 'ok') return frame;
    return ok(channelData(bytes), frame.size);
  }
  const first = bytes[0];
  if (first !== undefined && !isChannelFirstByte(first)) return malformed('turn.channel-number', 0);
  if (bytes.length < CHANNEL_DATA_HEADER_SIZE) return malformed('turn.channel-data-short', 0);
  const size = CHANNEL_DATA_HEADER_SIZE + lengthField(bytes);
  if (size > bytes.length) return malformed('turn.channel-data-length', 2);
  return ok(channelData(bytes), size);
}

/**
 * One allocation: header, data, and (when `pad`, as TCP/TLS requires) zeroed padding to a multiple
 * of 4. A channel outside 0x4000-0x7FFF or data over 65,535 bytes is a bug in the caller (channels
 * come from validated bindings, data from one datagram), so it throws instead of writing a frame
 * the peer would misread.
 */
export function encodeChannelData(channel: number, data: Uint8Array, pad: boolean): Buffer {
  if (!isChannelNumber(channel)) throw new RangeError(`not a TURN channel number: ${channel}`);
  if (data.length > MAX_CHANNEL_DATA_LENGTH)
    throw new RangeError(`ChannelData too long: ${data.length} bytes`);
  const end = CHANNEL_DATA_HEADER_SIZE + data.length;
  const size = pad ? (end + 3) & ~3 : end;
  const out = Buffer.allocUnsafe(size);
  out.writeUInt16BE(channel, 0);
  out.writeUInt16BE(data.length, 2);
  out.set(data, CHANNEL_DATA_HEADER_SIZE);
  out.fill(0, end); // allocUnsafe memory holds old data
  return out;
}
