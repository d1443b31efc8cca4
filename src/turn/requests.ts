// The checks of each TURN request that need no socket (RFC 8656 §7-§11): what is asked, whether it
// is allowed, and the error code when it is not. The service (service.ts) authenticates first,
// then calls these, then does the I/O.

import { Attr } from '../stun/constants.ts';
import { type StunMessage, attributeValue, findAttribute } from '../stun/message.ts';
import {
  type TransportAddress,
  isAddressProblem,
  readXorAddress,
} from '../stun/attributes/address.ts';
import { readUint32 } from '../stun/attributes/scalar.ts';
import { unknownRequiredAttributes } from '../stun/attributes/unknown.ts';
import {
  TransportProtocol,
  isChannelNumber,
  readAddressFamily,
  readChannelNumber,
  readEvenPort,
  readRequestedTransport,
  readReservationToken,
} from './attributes.ts';
import type { RelayProtocol } from './allocation.ts';
import type { PeerPolicy } from './peer-policy.ts';

/** Comprehension-required attributes a TURN request may carry (others are 420). */
const KNOWN: ReadonlySet<number> = new Set([
  Attr.username,
  Attr.messageIntegrity,
  Attr.messageIntegritySha256,
  Attr.realm,
  Attr.nonce,
  Attr.userhash,
  Attr.passwordAlgorithm,
  Attr.channelNumber,
  Attr.lifetime,
  Attr.xorPeerAddress,
  Attr.data,
  Attr.requestedAddressFamily,
  Attr.evenPort,
  Attr.requestedTransport,
  Attr.reservationToken,
  Attr.connectionId,
  Attr.padding,
  Attr.priority,
  Attr.useCandidate,
]);

/** What a Send indication may carry (DONT-FRAGMENT left out on purpose, see readSend). */
const SEND_KNOWN: ReadonlySet<number> = new Set([Attr.xorPeerAddress, Attr.data, Attr.padding]);

export type Refusal = { readonly kind: 'error'; readonly code: number; readonly reason?: string };

/** 420 for comprehension-required attributes we do not know (DONT-FRAGMENT included: see below). */
export function unknownAttributes(request: StunMessage): number[] {
  // RFC 8656 §7.2: a server that cannot set DF answers 420 listing DONT-FRAGMENT; node cannot.
  return unknownRequiredAttributes(request, KNOWN);
}

export interface AllocateAsk {
  readonly kind: 'allocate';
  readonly protocol: RelayProtocol;
  readonly families: readonly (4 | 6)[];
  /** ADDITIONAL-ADDRESS-FAMILY asked for IPv6 too: its absence is reported, not refused. */
  readonly additional: boolean;
  readonly even: boolean;
  readonly reserveNext: boolean;
  readonly token: Uint8Array | undefined;
  readonly lifetimeSeconds: number | undefined;
}

function value(request: StunMessage, type: number): Uint8Array | undefined {
  const attribute = findAttribute(request, type);
  return attribute === undefined ? undefined : attributeValue(request, attribute);
}

export function lifetimeOf(request: StunMessage): number | undefined | 'bad' {
  const raw = value(request, Attr.lifetime);
  if (raw === undefined) return undefined;
  const seconds = readUint32(raw);
  return typeof seconds === 'number' ? seconds : 'bad';
}

/** REQUESTED-ADDRESS-FAMILY of a Refresh: 4, 6, absent, or 'bad' (unreadable or unknown). */
export function requestedFamily(request: StunMessage): 4 | 6 | undefined | 'bad' {
  const raw = value(request, Attr.requestedAddressFamily);
  if (raw === undefined) return undefined;
  const family = readAddressFamily(raw);
  if (typeof family === 'string') return 'bad';
  return family === 0x02 ? 6 : 4;
}

/** RFC 8656 §7.2 steps 2-7, RFC 6062 §5.1 (after authentication and the 5-tuple check). */
export function readAllocate(
  request: StunMessage,
  available: readonly (4 | 6)[],
): AllocateAsk | Refusal {
  const transport = value(request, Attr.requestedTransport);
  if (transport === undefined) return { kind: 'error', code: 400 };
  const protocol = readRequestedTransport(transport);
  if (typeof protocol !== 'number') return { kind: 'error', code: 400 };
  if (protocol !== TransportProtocol.udp && protocol !== TransportProtocol.tcp) {
    return { kind: 'error', code: 442 };
  }
  const evenRaw = value(request, Attr.evenPort);
  const tokenRaw = value(request, Attr.reservationToken);
  // RFC 6062 §5.1: a TCP allocation has no port parity and no reserved port.
  const tcp = protocol === TransportProtocol.tcp;
  if (tcp && (evenRaw !== undefined || tokenRaw !== undefined)) return { kind: 'error', code: 400 };
  const requestedRaw = value(request, Attr.requestedAddressFamily);
  const additionalRaw = value(request, Attr.additionalAddressFamily);
  if (tokenRaw !== undefined && (evenRaw !== undefined || requestedRaw !== undefined)) {
    return { kind: 'error', code: 400 };
  }
  if (requestedRaw !== undefined && additionalRaw !== undefined)
    return { kind: 'error', code: 400 };
  const even = evenRaw === undefined ? undefined : readEvenPort(evenRaw);
  if (typeof even === 'string') return { kind: 'error', code: 400 };
  const token = tokenRaw === undefined ? undefined : readReservationToken(tokenRaw);
  if (typeof token === 'string') return { kind: 'error', code: 400 };
  let family: 4 | 6 = 4;
  if (requestedRaw !== undefined) {
    const requested = readAddressFamily(requestedRaw);
    if (requested === 'turn.address-family-unknown') return { kind: 'error', code: 440 };
    if (typeof requested === 'string') return { kind: 'error', code: 400 };
    family = requested === 0x02 ? 6 : 4;
  }
  let additional = false;
  if (additionalRaw !== undefined) {
    // RFC 8656 §7.2: ADDITIONAL-ADDRESS-FAMILY may only ask for IPv6 (besides the IPv4 default).
    if (readAddressFamily(additionalRaw) !== 0x02) return { kind: 'error', code: 400 };
    additional = true;
  }
  if (!available.includes(family)) return { kind: 'error', code: 440 };
  const lifetime = lifetimeOf(request);
  if (lifetime === 'bad') return { kind: 'error', code: 400 };
  const families: (4 | 6)[] = [family];
  if (additional && available.includes(6)) families.push(6);
  return {
    kind: 'allocate',
    protocol: tcp ? 'tcp' : 'udp',
    families,
    additional,
    even: even !== undefined,
    reserveNext: even?.reserveNext === true,
    token,
    lifetimeSeconds: lifetime,
  };
}

/** RFC 8656 §7.2: the granted lifetime: the default when none is asked, capped at the maximum. */
export function grantedSeconds(
  requested: number | undefined,
  defaultSeconds: number,
  maxSeconds: number,
): number {
  if (requested === undefined) return defaultSeconds;
  return Math.min(Math.max(requested, defaultSeconds), maxSeconds);
}

export interface PeerAsk {
  readonly peer: TransportAddress;
}

/**
 * Every XOR-PEER-ADDRESS of the request, checked against the policy (403) and the relay families
 * (443); at least one (400). The peers come back canonical (IPv4-mapped IPv6 as IPv4).
 */
export function readPeers(
  request: StunMessage,
  policy: PeerPolicy,
  families: readonly (4 | 6)[],
): TransportAddress[] | Refusal {
  const peers: TransportAddress[] = [];
  for (const attribute of request.attributes) {
    if (attribute.type !== Attr.xorPeerAddress) continue;
    const peer = readXorAddress(attributeValue(request, attribute), request.transactionId);
    if (isAddressProblem(peer)) return { kind: 'error', code: 400 };
    const verdict = policy.check(peer.address);
    if (!verdict.allowed) return { kind: 'error', code: 403, reason: verdict.reason };
    const family = verdict.address.includes(':') ? 6 : 4;
    if (!families.includes(family)) return { kind: 'error', code: 443 };
    peers.push({ family, address: verdict.address, port: peer.port });
  }
  return peers.length === 0 ? { kind: 'error', code: 400 } : peers;
}

export function readChannel(request: StunMessage): number | Refusal {
  const raw = value(request, Attr.channelNumber);
  if (raw === undefined) return { kind: 'error', code: 400 };
  const channel = readChannelNumber(raw);
  if (typeof channel !== 'number' || !isChannelNumber(channel)) return { kind: 'error', code: 400 };
  return channel;
}

/** A Send indication's peer and data, or undefined (dropped silently, RFC 8656 §10.2). */
export function readSend(
  request: StunMessage,
  policy: PeerPolicy,
):
  | { readonly peer: TransportAddress; readonly data: Uint8Array }
  | { readonly denied: string }
  | undefined {
  const peerRaw = value(request, Attr.xorPeerAddress);
  const data = value(request, Attr.data);
  if (peerRaw === undefined || data === undefined) return undefined;
  // RFC 8656 §11.2: DONT-FRAGMENT cannot be honoured here (node sets no DF bit): discard. RFC 8489
  // §6.3.2: an indication with an unknown comprehension-required attribute is discarded too.
  if (unknownRequiredAttributes(request, SEND_KNOWN).length > 0) return undefined;
  const peer = readXorAddress(peerRaw, request.transactionId);
  if (isAddressProblem(peer)) return undefined;
  const verdict = policy.check(peer.address);
  if (!verdict.allowed) return { denied: verdict.reason };
  const family = verdict.address.includes(':') ? 6 : 4;
  return { peer: { family, address: verdict.address, port: peer.port }, data };
}
