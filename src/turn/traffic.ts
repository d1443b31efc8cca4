// The relayed data (RFC 8656 §10-§12): Send indications and ChannelData from clients to peers,
// peer datagrams back as ChannelData or Data indications. Only to permitted peers, within the
// allocation's byte rate; everything dropped is counted by reason.

import { randomFillSync } from 'node:crypto';
import { Attr, StunClass, StunMethod } from '../stun/constants.ts';
import { encodeStunMessage } from '../stun/encode.ts';
import { stunType } from '../stun/header.ts';
import type { StunMessage } from '../stun/message.ts';
import { type TransportAddress, writeXorAddress } from '../stun/attributes/address.ts';
import { type Tally, tallyOf } from '../observe/tally.ts';
import { decodeChannelData, encodeChannelData } from './channel-data.ts';
import type { ChannelBinding } from './allocation.ts';
import { type AllocationRegistry, type Entry, linkKey } from './registry.ts';
import type { PeerData } from './relay.ts';
import type { Direction, StreamMeter } from './tcp-connections.ts';
import { readSend } from './requests.ts';
import type { TurnLink, TurnServiceDeps } from './types.ts';

export interface Traffic {
  /** The handler of a relay socket: data from a peer of the allocation `key`. */
  fromPeer(key: string): PeerData;
  onSend(link: TurnLink, indication: StunMessage): void;
  onChannelData(bytes: Uint8Array, link: TurnLink): void;
  drop(reason: string): void;
  /** Bytes spliced on an RFC 6062 connection: counted, and never dropped; the pause they earn. */
  meterStream: StreamMeter;
}

export function createTraffic(
  deps: TurnServiceDeps,
  registry: AllocationRegistry,
  now: () => number,
): Traffic {
  const { metrics, limits } = deps;
  const tallies = new Map<string, Tally>();
  const tally = (name: string, make: () => Tally): Tally => {
    let found = tallies.get(name);
    if (found === undefined) {
      found = make();
      tallies.set(name, found);
    }
    return found;
  };
  const drop = (reason: string): void => {
    tally(`drop|${reason}`, () => tallyOf(metrics.turnDropped, { reason })).inc();
  };
  /** Per client transport and direction, made once: no label strings per packet. */
  const counters = new Map<string, Record<Direction, { bytes: Tally; packets: Tally }>>();
  const countersOf = (transport: string): Record<Direction, { bytes: Tally; packets: Tally }> => {
    let found = counters.get(transport);
    if (found === undefined) {
      const pair = (direction: Direction): { bytes: Tally; packets: Tally } => ({
        bytes: tallyOf(metrics.turnRelayedBytes, { transport, direction }),
        packets: tallyOf(metrics.turnRelayedPackets, { transport, direction }),
      });
      found = { 'to-peer': pair('to-peer'), 'to-client': pair('to-client') };
      counters.set(transport, found);
    }
    return found;
  };
  const count = (entry: Entry, direction: Direction, bytes: number): void => {
    const counter = countersOf(entry.allocation.tuple.transport)[direction];
    counter.bytes.add(bytes);
    counter.packets.inc();
  };
  /** False when the allocation is over its byte rate this second (then the data is dropped). */
  const withinRate = (entry: Entry, bytes: number, at: number): boolean => {
    if (limits.maxBytesPerSecond <= 0) return true;
    if (at - entry.windowStart >= 1000) {
      entry.windowStart = at;
      entry.windowBytes = 0;
    }
    if (entry.windowBytes + bytes > limits.maxBytesPerSecond) return false;
    entry.windowBytes += bytes;
    return true;
  };
  /** Whether `entry` may exchange `bytes` with `peer` now (RFC 8656 §9: per peer IP). */
  const admits = (entry: Entry, peer: TransportAddress, bytes: number, at: number): boolean => {
    if (!entry.allocation.isPermitted(peer.address, at)) {
      drop('no-permission');
      return false;
    }
    if (!withinRate(entry, bytes, at)) {
      drop('rate-limit');
      return false;
    }
    return true;
  };
  const toPeer = (entry: Entry, peer: TransportAddress, data: Uint8Array, at: number): void => {
    const relay = entry.allocation.relayFor(peer.family);
    if (relay === undefined) {
      drop('family');
      return;
    }
    if (!admits(entry, peer, data.length, at)) return;
    relay.send(data, peer);
    count(entry, 'to-peer', data.length);
  };

  /** Data from `peer` to the client of allocation `key`: as ChannelData when a channel is bound. */
  const fromPeer = (
    key: string,
    data: Uint8Array,
    peer: TransportAddress,
    channelOf: (entry: Entry, peer: TransportAddress, at: number) => ChannelBinding | undefined,
  ): void => {
    const at = now();
    const entry = registry.live(key, at);
    if (entry === undefined) return;
    if (!admits(entry, peer, data.length, at)) return;
    const { link } = entry;
    const binding = channelOf(entry, peer, at);
    if (binding !== undefined) {
      // RFC 8656 §12.5: padded to 4 bytes over TCP/TLS.
      link.send(encodeChannelData(binding.channel, data, link.transport !== 'udp'));
    } else {
      const transactionId = randomFillSync(new Uint8Array(12));
      link.send(
        encodeStunMessage({
          type: stunType(StunMethod.data, StunClass.indication),
          transactionId,
          attributes: [
            { type: Attr.xorPeerAddress, value: writeXorAddress(peer, transactionId) },
            { type: Attr.data, value: data },
          ],
        }),
      );
    }
    count(entry, 'to-client', data.length);
  };

  return {
    drop,
    meterStream(key, direction, bytes) {
      const entry = registry.get(key);
      if (entry === undefined) return 0;
      countersOf(entry.allocation.tuple.transport)[direction].bytes.add(bytes);
      if (limits.maxBytesPerSecond <= 0) return 0;
      const at = now();
      const seconds = Math.floor((at - entry.windowStart) / 1000);
      if (seconds >= 1) {
        // What went over in the last window counts against the next ones (no burst after a pause).
        entry.windowStart = at;
        entry.windowBytes = Math.max(0, entry.windowBytes - seconds * limits.maxBytesPerSecond);
      }
      entry.windowBytes += bytes;
      // A stream cannot drop bytes: the side that sent too much waits for the next second.
      return entry.windowBytes > limits.maxBytesPerSecond ? entry.windowStart + 1000 - at : 0;
    },
    fromPeer: (key) => {
      // The relay hands the same address object while the peer stays the same: its channel is
      // looked up once. A binding stays the peer's until it expires (a peer cannot be rebound).
      let lastPeer: TransportAddress | undefined;
      let lastBinding: ChannelBinding | undefined;
      const channelOf = (
        entry: Entry,
        peer: TransportAddress,
        at: number,
      ): ChannelBinding | undefined => {
        if (peer === lastPeer && lastBinding !== undefined && lastBinding.expiresAt > at) {
          return lastBinding;
        }
        lastPeer = peer;
        lastBinding = entry.allocation.channelFor(peer, at);
        return lastBinding;
      };
      return (data, peer) => {
        fromPeer(key, data, peer, channelOf);
      };
    },
    onSend(link, indication) {
      const entry = registry.live(linkKey(link), now());
      if (entry === undefined) {
        drop('no-allocation');
        return;
      }
      if (entry.allocation.protocol === 'tcp') {
        drop('tcp-allocation'); // RFC 6062 §5: data of a TCP allocation goes over its connections
        return;
      }
      const send = readSend(indication, deps.policy);
      if (send === undefined) {
        drop('malformed');
        return;
      }
      if ('denied' in send) {
        deps.suspicious(link.client.address, 'turn.peer-denied');
        drop('peer-denied');
        return;
      }
      toPeer(entry, send.peer, send.data, now());
    },
    onChannelData(bytes, link) {
      const decoded = decodeChannelData(bytes, link.transport !== 'udp');
      if (decoded.kind !== 'ok') {
        drop('malformed');
        return;
      }
      const at = now();
      const entry = registry.live(linkKey(link), at);
      if (entry === undefined) {
        drop('no-allocation');
        return;
      }
      const binding = entry.allocation.channel(decoded.value.channel, at);
      if (binding === undefined) {
        drop('no-channel');
        return;
      }
      toPeer(entry, binding.peer, decoded.value.data, at);
    },
  };
}
