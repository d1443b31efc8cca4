// Whether a client certificate names an identity: its CN or a DNS, URI or email subject alt name.

/** What the TLS layer reports about the client's certificate. */
export interface ClientCertificate {
  /** The chain ends at a CA of `tls.trust` (node's `TLSSocket#authorized`). */
  readonly authorized: boolean;
  readonly commonNames: readonly string[];
  /** node's `subjectaltname` text: `DNS:a.example, URI:sip:alice@example.com, email:a@example.com`. */
  readonly subjectAltName: string | undefined;
}

export interface AltName {
  readonly type: string;
  readonly value: string;
}

const NAME_TYPES: ReadonlySet<string> = new Set(['DNS', 'URI', 'email']);
// URI SANs of phones carry a scheme; the identity a sniffer reports does not.
const IDENTITY_SCHEME = /^(?:sips?|h323):/i;

/** True when the certificate is trusted and one of its names equals `identity` (case-insensitive). */
export function certificateMatches(cert: ClientCertificate, identity: string | undefined): boolean {
  if (!cert.authorized || identity === undefined || identity === '') return false;
  const wanted = identity.toLowerCase();
  if (cert.commonNames.some((name) => name.toLowerCase() === wanted)) return true;
  return parseSubjectAltName(cert.subjectAltName ?? '').some(({ type, value }) => {
    if (!NAME_TYPES.has(type)) return false;
    const name = value.toLowerCase();
    if (name === wanted) return true;
    if (type !== 'URI' || !IDENTITY_SCHEME.test(name)) return false;
    // `sip:alice@example.com` names `alice@example.com`, and the SIP user `alice` (the identity
    // a SIP sniffer reports; the certificate comes from the operator's own CAs, tls.trust).
    const address = name.replace(IDENTITY_SCHEME, '');
    const at = address.indexOf('@');
    return (
      address === wanted || (!wanted.includes('@') && at > 0 && address.slice(0, at) === wanted)
    );
  });
}

/**
 * Splits node's `subjectaltname` text into entries. Since CVE-2021-44532 node writes a value that
 * holds `,` or `"` as a JSON string, so `, ` inside quotes does not end an entry.
 */
export function parseSubjectAltName(text: string): AltName[] {
  const names: AltName[] = [];
  let at = 0;
  while (at < text.length) {
    const colon = text.indexOf(':', at);
    if (colon < 0) break;
    const type = text.slice(at, colon);
    let value: string;
    let next: number;
    if (text[colon + 1] === '"') {
      const close = closingQuote(text, colon + 2);
      if (close < 0) break;
      value = parseJsonString(text.slice(colon + 1, close + 1));
      next = text.indexOf(', ', close + 1);
    } else {
      next = text.indexOf(', ', colon + 1);
      value = text.slice(colon + 1, next < 0 ? text.length : next);
    }
    names.push({ type, value });
    if (next < 0) break;
    at = next + 2;
  }
  return names;
}

function closingQuote(text: string, from: number): number {
  for (let at = from; at < text.length; at++) {
    if (text[at] === '\\') at++;
    else if (text[at] === '"') return at;
  }
  return -1;
}

function parseJsonString(quoted: string): string {
  try {
    const value: unknown = JSON.parse(quoted);
    return typeof value === 'string' ? value : '';
  } catch {
    return '';
  }
}
