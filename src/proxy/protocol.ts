// The contract between the proxy pipeline and each proxied protocol (HTTP, SIP, H.323, LDAP):
// a pure sniffer for the first message, a refusal in the protocol's own terms, and a watcher that
// frames the relayed stream. Pure and synchronous over bytes: no sockets, timers or exceptions.

/** The request kind of ARCHITECTURE.md: selects a service's ports and its IP allow-list. */
export type RequestKind = 'http' | 'sip' | 'h323' | 'ldap';

/** Listener types of `proxy.listen`; each is one RequestKind, plain or TLS. */
export type ListenerType =
  'http' | 'https' | 'sip-tcp' | 'sip-tls' | 'h323-tcp' | 'h323-tls' | 'ldap' | 'ldaps';

/** `startTls`: the plain listener may turn TLS mid-connection (LDAP StartTLS, answered by us). */
export const listenerKinds: Readonly<
  Record<ListenerType, { kind: RequestKind; tls: boolean; startTls: boolean }>
> = {
  http: { kind: 'http', tls: false, startTls: false },
  https: { kind: 'http', tls: true, startTls: false },
  'sip-tcp': { kind: 'sip', tls: false, startTls: false },
  'sip-tls': { kind: 'sip', tls: true, startTls: false },
  'h323-tcp': { kind: 'h323', tls: false, startTls: false },
  'h323-tls': { kind: 'h323', tls: true, startTls: false },
  ldap: { kind: 'ldap', tls: false, startTls: true },
  ldaps: { kind: 'ldap', tls: true, startTls: false },
};

/** What the sniffer learns from a connection's first bytes. */
export type SniffResult =
  /** Not enough bytes yet; the pipeline reads more (up to maxFirstMessageBytes, until the deadline). */
  | { readonly kind: 'need-more' }
  | {
      readonly kind: 'route';
      /**
       * Service names in order of preference, compared case-insensitively; the router takes the first
       * that exists (H.323 `gk/location` before `gk`). Never empty.
       */
      readonly services: readonly string[];
      /** The name a client certificate must carry for checkCertificate (SIP user, H.323 alias). */
      readonly identity: string | undefined;
      /** How many bytes the first message spans (the rest of the buffer is later traffic). */
      readonly size: number;
    }
  /** The protocol answers this itself before routing (LDAP StartTLS): send `reply`, start TLS, sniff again. */
  | { readonly kind: 'starttls'; readonly reply: Uint8Array; readonly size: number }
  /** Cannot be routed: malformed, no routing key, a request that must not come first. */
  | { readonly kind: 'reject'; readonly reason: string };

/** Why the gateway refuses a connection or request; each becomes a refusal in the client's protocol. */
export type RefusalCause =
  | 'malformed'
  | 'unknown-service'
  | 'forbidden'
  | 'backend-unavailable'
  | 'backend-timeout'
  | 'first-message-timeout'
  | 'too-large';

/** What a watcher is told about the connection it watches. */
export interface WatchContext {
  /** The routed service's name as configured. */
  readonly service: string;
  /** The client IP (IPv4-mapped addresses already unmapped). */
  readonly remoteIp: string;
  /** Reports a suspicious event for this client (a SIP 403 from the service, LDAP result 49, …). */
  suspicious(reason: string): void;
}

/**
 * A watcher's verdict on bytes from the client. A refusal carries the protocol's answer to the
 * refused message when it has one (a SIP 403 built from that request, an LDAP result for its
 * messageID): the watcher knows which message it refused, the chunk it came in does not say.
 */
export type WatchVerdict =
  | 'pass'
  | {
      readonly refuse: RefusalCause;
      readonly reason: string;
      /** Sent before the client's connection ends; none: the connection just ends. */
      readonly answer?: Uint8Array | undefined;
    };

/**
 * Frames both directions of one relayed connection (one per connection, so it may keep state:
 * partial frames, a count of 401s). Pure and synchronous like the sniffer; it sees each chunk
 * before it is forwarded, and forwarding does not wait for a whole frame.
 */
export interface Watcher {
  /**
   * 'pass' forwards the chunk. A refusal (a later message that names another service) drops the
   * chunk, reports `reason` as suspicious, sends the client the verdict's `answer` and closes both
   * connections; bytes passed before stay passed.
   */
  fromClient(chunk: Uint8Array): WatchVerdict;
  /** Sees each chunk from the backend before it is forwarded; reports through `ctx.suspicious`. */
  fromServer(chunk: Uint8Array): void;
}

export interface ProxyProtocol {
  readonly kind: RequestKind;
  sniff(bytes: Uint8Array): SniffResult;
  /**
   * The protocol's own answer to a refused first message (SIP 404 built from the request, LDAP
   * BindResponse, HTTP 403 page), or undefined when there is none and the connection just closes.
   * A watcher's refusal carries its own answer (WatchVerdict).
   */
  refuse(firstMessage: Uint8Array | undefined, cause: RefusalCause): Uint8Array | undefined;
  /** Optional: a watcher per routed connection; without one the relay forwards bytes unexamined. */
  createWatcher?(ctx: WatchContext): Watcher;
}
