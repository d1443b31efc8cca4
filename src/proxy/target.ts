// Where a routed connection goes: host, port and encryption by the rules of ARCHITECTURE.md
// ("Target port and encryption"), including check-certificate for SIP and H.323. Pure.
import { isIP } from 'node:net';
import type { ProxyServiceConfig } from '../config/schema-proxy.ts';
import { type ClientCertificate, certificateMatches } from './client-certificate.ts';
import type { RequestKind } from './protocol.ts';

export interface Target {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  /** SNI for a TLS target: the service name when it is a DNS name (never an IP or `gk/location`). */
  readonly servername: string | undefined;
  readonly proxyProtocol: ProxyServiceConfig['proxyProtocol'];
}

export interface TargetRequest {
  readonly service: ProxyServiceConfig;
  readonly kind: RequestKind;
  /** The client's connection to the gateway is TLS (a TLS listener, or after StartTLS). */
  readonly clientTls: boolean;
  /** From the sniffer: the name a client certificate must carry. */
  readonly identity: string | undefined;
  /** Undefined when the client presented none (or the connection is plain). */
  readonly certificate: ClientCertificate | undefined;
}

// Only registrations carry an identity a certificate can prove (ARCHITECTURE.md: "H.323/TLS and
// SIP/TLS registrations").
const CHECKS_CERTIFICATE: ReadonlySet<RequestKind> = new Set(['sip', 'h323']);
const DNS_NAME =
  /^(?=.{1,253}\.?$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?)*\.?$/i;

/** Undefined when the service has no port for this kind (the router does not route those). */
export function chooseTarget(request: TargetRequest): Target | undefined {
  const { service, kind } = request;
  const ports = service.ports[kind];
  if (ports === undefined) return undefined;
  const tls = useTls(request, ports.tcp !== undefined, ports.tls !== undefined);
  const port = tls ? ports.tls : ports.tcp;
  if (port === undefined) return undefined;
  return {
    host: service.host,
    port,
    tls,
    servername: isSniName(service.name) ? service.name.replace(/\.$/, '') : undefined,
    proxyProtocol: service.proxyProtocol,
  };
}

function useTls(request: TargetRequest, hasTcp: boolean, hasTls: boolean): boolean {
  if (!hasTcp) return true; // one port: its encryption, whatever the client used
  if (!hasTls) return false;
  if (request.service.checkCertificate && CHECKS_CERTIFICATE.has(request.kind)) {
    // TLS only for a proven identity; otherwise plain TCP, and the PBX asks for the password.
    const { certificate, identity } = request;
    return certificate !== undefined && certificateMatches(certificate, identity);
  }
  return request.clientTls; // both ports: the client's encryption is kept
}

function isSniName(name: string): boolean {
  // RFC 6066 §3: the HostName is a DNS name, never an IP literal.
  return isIP(name) === 0 && DNS_NAME.test(name);
}
