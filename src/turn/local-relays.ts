// Relay to relay inside the gateway. When two clients of this server talk through their relays
// (relay/relay candidate pairs in ICE, the usual case when every phone and browser of a company
// uses the company's TURN server), data sent from one relayed address to the other is handed to the
// other allocation directly instead of through the kernel: half the socket work and wakeups, and it
// works behind a 1:1 NAT (`turn.relay.external`) that cannot hairpin. The receiving allocation
// applies its permissions and byte rate exactly as for data from a socket, and sees the sender's
// advertised relayed address as the peer, the address its client was given for the other side.

import type { TransportAddress } from '../stun/attributes/address.ts';

export type Deliver = (data: Uint8Array, from: TransportAddress) => void;

interface LocalRelay {
  readonly deliver: Deliver;
}

export interface LocalRelays {
  /** Registers an open relay by its advertised address; the returned function unregisters it. */
  add(address: TransportAddress, deliver: Deliver): () => void;
  /**
   * A sender for one relay: hands `data` to the relay of this gateway at `peer` and returns true,
   * or returns false when `peer` is not one (then the caller sends it over the network).
   */
  senderFrom(from: TransportAddress): (data: Uint8Array, peer: TransportAddress) => boolean;
}

/** With the family: an IPv4 and an IPv6 relay may announce the same text and port. */
function keyOf(address: TransportAddress): string {
  return `${address.family}|${address.address}|${address.port}`;
}

export function createLocalRelays(): LocalRelays {
  const relays = new Map<string, LocalRelay>();
  /** Changes whenever a relay comes or goes: a sender's cached lookup is then made again. */
  let generation = 0;
  return {
    add(address, deliver) {
      const key = keyOf(address);
      // An object of its own: a late unregister of a replaced relay finds another one and stays put.
      const relay: LocalRelay = { deliver };
      relays.set(key, relay);
      generation++;
      return () => {
        if (relays.get(key) !== relay) return;
        relays.delete(key);
        generation++;
      };
    },
    senderFrom(from) {
      // A channel's peer is the same object datagram after datagram: one lookup per peer change.
      let lastPeer: TransportAddress | undefined;
      let lastGeneration = -1;
      let target: LocalRelay | undefined;
      return (data, peer) => {
        if (peer !== lastPeer || lastGeneration !== generation) {
          lastPeer = peer;
          lastGeneration = generation;
          target = relays.get(keyOf(peer));
        }
        if (target === undefined) return false;
        target.deliver(data, from);
        return true;
      };
    },
  };
}
