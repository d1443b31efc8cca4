// Loads the stored test vectors (test/vectors/), each file naming its source.

import { readFileSync } from 'node:fs';

export interface Rfc5769Vector {
  readonly name: string;
  readonly hex: string;
  readonly password: string;
  readonly passwordBeforeSaslprep?: string;
  readonly username?: string;
  readonly realm?: string;
  readonly nonce?: string;
  readonly software?: string;
  readonly transactionId: string;
  readonly mappedAddress?: string;
  readonly mappedPort?: number;
  readonly longTermKeyHex?: string;
  readonly lengthQuirk?: boolean;
}

const file = new URL('../vectors/rfc5769.json', import.meta.url);
const parsed = JSON.parse(readFileSync(file, 'utf8')) as { vectors: Rfc5769Vector[] };

export function rfc5769(section: '2.1' | '2.2' | '2.3' | '2.4'): Rfc5769Vector & { bytes: Buffer } {
  const vector = parsed.vectors.find((v) => v.name.startsWith(`rfc5769-${section}-`));
  if (!vector) throw new Error(`no RFC 5769 vector ${section}`);
  return { ...vector, bytes: Buffer.from(vector.hex, 'hex') };
}

export function rfc8489B1(): Rfc5769Vector & { bytes: Buffer } {
  const vector = parsed.vectors.find((v) => v.name.startsWith('rfc8489-B.1'));
  if (!vector) throw new Error('no RFC 8489 B.1 vector');
  return { ...vector, bytes: Buffer.from(vector.hex, 'hex') };
}
