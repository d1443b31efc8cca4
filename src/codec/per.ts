// A bounded, bit-exact reader for ASN.1 BASIC-PER ALIGNED (ITU-T X.691), the encoding of H.225.0.
// Only the generic rules live here (bits, alignment, constrained numbers, lengths, open types,
// extension bitmaps, strings); what a type means is its decoder's business.
//
// Nothing throws. A read past the end, a fragmented length or a value over a cap records a failure
// that sticks: every later read returns zero, false or an empty value without moving, and a
// decoder checks `failed` before it trusts what it read. Readers made for open types share their
// parent's failure, so one check at the top covers every nested container.

export type PerProblem =
  /** A read past the end of the bytes or of the enclosing open type. */
  | 'per.overrun'
  /** X.691 §11.9.3.8: a length of 16K or more comes in fragments; never legitimate here. */
  | 'per.fragmented'
  /** A length, count or number larger than the caller's cap. */
  | 'per.over-cap'
  /** A value outside its PER-visible constraint (a length below its lower bound). */
  | 'per.out-of-range'
  /** A character outside the string type's alphabet. */
  | 'per.bad-character';

export interface PerFailure<Reason extends string> {
  readonly reason: Reason;
  /** Bit offset in the outermost bytes where the failing read began. */
  readonly bit: number;
}

interface Shared<Reason extends string> {
  failure: PerFailure<Reason> | undefined;
}

/** What a CHOICE encodes: a root alternative, or an extension one (its value is an open type). */
export interface PerChoice {
  readonly extension: boolean;
  readonly index: number;
}

/** The preamble of a SEQUENCE: the extension bit and one presence bit per OPTIONAL root component. */
export interface PerPreamble {
  readonly extended: boolean;
  readonly present: readonly boolean[];
}

/** Octets an open type or an unconstrained length may announce (one unfragmented length). */
const MAX_UNFRAGMENTED = 16383;

function bitsFor(range: number): number {
  let bits = 0;
  while (2 ** bits < range) bits++;
  return bits;
}

function octetsFor(range: number): number {
  let octets = 1;
  while (2 ** (8 * octets) < range) octets++;
  return octets;
}

/** X.691 §30.5.2: in the ALIGNED variant a character takes 1, 2, 4, 8 or 16 bits. */
function alignedCharBits(alphabetSize: number): number {
  const bits = bitsFor(alphabetSize);
  let aligned = 1;
  while (aligned < bits) aligned *= 2;
  return aligned;
}

export class PerReader<Extra extends string = never> {
  readonly bytes: Uint8Array;
  readonly #end: number;
  #at: number;
  readonly #shared: Shared<PerProblem | Extra>;

  private constructor(
    bytes: Uint8Array,
    startBit: number,
    endBit: number,
    shared: Shared<PerProblem | Extra>,
  ) {
    this.bytes = bytes;
    this.#at = startBit;
    this.#end = endBit;
    this.#shared = shared;
  }

  /** A reader over all of `bytes`. */
  static over<Extra extends string = never>(bytes: Uint8Array): PerReader<Extra> {
    return new PerReader<Extra>(bytes, 0, bytes.length * 8, { failure: undefined });
  }

  get failed(): boolean {
    return this.#shared.failure !== undefined;
  }

  get failure(): PerFailure<PerProblem | Extra> | undefined {
    return this.#shared.failure;
  }

  /** Bit offset of the cursor in `bytes`. */
  get position(): number {
    return this.#at;
  }

  get remainingBits(): number {
    return this.#end - this.#at;
  }

  /** The first failure wins; later ones are consequences. */
  fail(reason: PerProblem | Extra): void {
    this.#shared.failure ??= { reason, bit: this.#at };
  }

  #take(bits: number): boolean {
    if (this.failed) return false;
    if (bits > this.#end - this.#at) {
      this.fail('per.overrun');
      return false;
    }
    return true;
  }

  bit(): boolean {
    if (!this.#take(1)) return false;
    const at = this.#at++;
    return (((this.bytes[at >> 3] ?? 0) >> (7 - (at & 7))) & 1) === 1;
  }

  /** `count` (≤ 32) bits as an unsigned number, most significant first, without alignment. */
  bits(count: number): number {
    if (count > 32) this.fail('per.over-cap');
    if (!this.#take(count)) return 0;
    let value = 0;
    for (let i = 0; i < count; i++) {
      const at = this.#at++;
      value = value * 2 + (((this.bytes[at >> 3] ?? 0) >> (7 - (at & 7))) & 1);
    }
    return value;
  }

  /** X.691 §3.7.x: skips the padding bits up to the next octet boundary. */
  align(): void {
    const pad = (8 - (this.#at & 7)) & 7;
    if (pad > 0 && this.#take(pad)) this.#at += pad;
  }

  /** `count` octets as a view, after aligning. */
  octets(count: number): Uint8Array {
    this.align();
    if (!this.#take(count * 8)) return new Uint8Array(0);
    const start = this.#at >> 3;
    this.#at += count * 8;
    return this.bytes.subarray(start, start + count);
  }

  /** X.691 §11.5.7, ALIGNED variant: a whole number in lb..ub (ub − lb < 2^48). */
  constrained(lb: number, ub: number): number {
    const range = ub - lb + 1;
    if (range <= 1) return lb;
    if (range <= 255) return lb + this.bits(bitsFor(range));
    if (range <= 65536) {
      this.align();
      return lb + this.bits(range === 256 ? 8 : 16);
    }
    // §11.5.7.4, the indefinite-length case: an octet count in 1..n, then the octets, aligned.
    const count = this.constrained(1, octetsFor(range));
    return lb + this.#unsignedOctets(count);
  }

  #unsignedOctets(count: number): number {
    let value = 0;
    for (const octet of this.octets(count)) value = value * 256 + octet;
    return value;
  }

  /** X.691 §13.1 with an extensible constraint: a leading bit; outside the root, §11.8. */
  extensibleConstrained(lb: number, ub: number): number {
    return this.bit() ? this.unconstrained(6) : this.constrained(lb, ub);
  }

  /** X.691 §11.8: a length and that many two's-complement octets (at most `maxOctets`). */
  unconstrained(maxOctets: number): number {
    const count = this.length(maxOctets);
    const octets = this.octets(count);
    let value = (octets[0] ?? 0) >= 0x80 ? -1 : 0;
    for (const octet of octets) value = value * 256 + octet;
    return value;
  }

  /** X.691 §11.6: a normally small non-negative whole number (CHOICE extension indices). */
  smallNumber(): number {
    if (!this.bit()) return this.bits(6);
    const count = this.length(4); // §11.7 semi-constrained, in practice never taken
    return this.#unsignedOctets(count);
  }

  /** X.691 §11.9.3.4: a normally small length (extension bitmaps); larger than `max` fails. */
  smallLength(max: number): number {
    const value = this.bit() ? this.length(max) : this.bits(6) + 1;
    if (value > max) this.fail('per.over-cap');
    return this.failed ? 0 : value;
  }

  /** X.691 §11.9.3.5–8: an unconstrained length determinant, aligned; fragments are refused. */
  length(max: number): number {
    this.align();
    const first = this.bits(8);
    let value = first;
    if (first >= 0xc0) this.fail('per.fragmented');
    else if (first >= 0x80) value = (first & 0x3f) * 256 + this.bits(8);
    if (value > max) this.fail('per.over-cap');
    return this.failed ? 0 : value;
  }

  /** A length constrained to lb..ub (X.691 §11.9.4.1); no upper bound (or ≥ 64K) is unconstrained. */
  sizedLength(lb: number, ub: number | undefined, max: number): number {
    const value =
      ub !== undefined && ub < 65536 ? this.constrained(lb, ub) : this.length(MAX_UNFRAGMENTED);
    if (value < lb) this.fail('per.out-of-range');
    else if (value > max) this.fail('per.over-cap');
    return this.failed ? 0 : value;
  }

  /** X.691 §23: a CHOICE index, an extension alternative's index being normally small. */
  choice(rootCount: number, extensible: boolean): PerChoice {
    if (extensible && this.bit()) return { extension: true, index: this.smallNumber() };
    return { extension: false, index: this.constrained(0, rootCount - 1) };
  }

  /** X.691 §19.1–3: the extension bit (when extensible) and the presence bitmap. */
  preamble(optionalCount: number, extensible: boolean): PerPreamble {
    const extended = extensible && this.bit();
    const present: boolean[] = [];
    for (let i = 0; i < optionalCount; i++) present.push(this.bit());
    return { extended, present };
  }

  /** X.691 §19.7: after the root, the presence bitmap of the extension additions (≤ `max`). */
  additions(max: number): boolean[] {
    const count = this.smallLength(max);
    const present: boolean[] = [];
    for (let i = 0; i < count && !this.failed; i++) present.push(this.bit());
    return present;
  }

  /**
   * X.691 §11.2: an open type, as a reader bounded to its octets; this reader moves past them.
   * A decoder that reads past the open type's end fails instead of reading what follows it.
   */
  openType(): PerReader<Extra> {
    const count = this.length(MAX_UNFRAGMENTED);
    const start = this.#at;
    if (!this.#take(count * 8)) return new PerReader(this.bytes, start, start, this.#shared);
    this.#at += count * 8;
    return new PerReader(this.bytes, start, start + count * 8, this.#shared);
  }

  skipOpenType(): void {
    this.openType();
  }

  /** Skips every present extension addition of a SEQUENCE whose extension bit was set. */
  skipAdditions(max: number): void {
    for (const present of this.additions(max)) if (present) this.skipOpenType();
  }

  /** X.691 §17: an OCTET STRING of size lb..ub (ub undefined: unconstrained), as a view. */
  octetString(lb: number, ub: number | undefined, max: number): Uint8Array {
    if (ub === lb) {
      if (ub > max) this.fail('per.over-cap');
      if (ub <= 2) return this.#unalignedOctets(ub); // §17.6
      return this.octets(ub);
    }
    return this.octets(this.sizedLength(lb, ub, max));
  }

  #unalignedOctets(count: number): Uint8Array {
    const out = new Uint8Array(this.#take(count * 8) ? count : 0);
    for (let i = 0; i < out.length; i++) out[i] = this.bits(8);
    return out;
  }

  /** X.691 §16: a BIT STRING of size lb..ub as packed octets (a copy) and its length in bits. */
  bitString(
    lb: number,
    ub: number | undefined,
    maxBits: number,
  ): { readonly length: number; readonly bits: Uint8Array } {
    let length = lb;
    if (ub !== lb) length = this.sizedLength(lb, ub, maxBits);
    else if (ub > maxBits) this.fail('per.over-cap');
    if (ub !== lb || length > 16) this.align(); // §16.10–11: aligned unless fixed and ≤ 16 bits
    const bits = new Uint8Array(this.#take(length) ? Math.ceil(length / 8) : 0);
    for (let i = 0; i < bits.length; i++) {
      const take = Math.min(8, length - 8 * i);
      bits[i] = this.bits(take) << (8 - take);
    }
    return { length: this.failed ? 0 : length, bits };
  }

  /** X.691 §24: an OBJECT IDENTIFIER: a length, then the BER contents octets (a view). */
  objectIdentifier(maxOctets: number): Uint8Array {
    return this.octets(this.length(maxOctets));
  }

  /**
   * X.691 §30: a known-multiplier character string of size lb..ub (ub undefined: unconstrained).
   * `alphabet` is the effective permitted alphabet in ascending order (PermittedAlphabet), or the
   * type's whole range: 128 characters for IA5String, 65536 for BMPString.
   */
  characterString(lb: number, ub: number | undefined, alphabet: Alphabet, max: number): string {
    const length = ub === lb ? lb : this.sizedLength(lb, ub, max);
    if (ub === lb && lb > max) this.fail('per.over-cap');
    const bits = alignedCharBits(alphabet.size);
    // §30.5.7: octet-aligned unless the whole string fits in 16 bits.
    if (ub === undefined || ub * bits > 16) this.align();
    const codes: number[] = [];
    for (let i = 0; i < length && !this.failed; i++) {
      const code = alphabet.decode(this.bits(bits), bits);
      if (code === undefined) this.fail('per.bad-character');
      else codes.push(code);
    }
    return this.failed ? '' : String.fromCharCode(...codes);
  }
}

/** The characters a string type may hold, and how their PER values map to character codes. */
export interface Alphabet {
  readonly size: number;
  /** The character code for a PER value of `bits` bits, or undefined when none. */
  decode(value: number, bits: number): number | undefined;
}

/** A type's whole alphabet, 0..size−1 (IA5String: 128, BMPString: 65536), values as codes. */
export function fullAlphabet(size: number): Alphabet {
  return { size, decode: (value) => (value < size ? value : undefined) };
}

/**
 * A PermittedAlphabet constraint (X.691 §30.5.4): values are the codes themselves when the
 * largest fits in the character's bits, otherwise indices into the sorted characters.
 */
export function permittedAlphabet(characters: string): Alphabet {
  const set = new Set<number>();
  for (let i = 0; i < characters.length; i++) set.add(characters.charCodeAt(i));
  const codes = [...set].sort((a, b) => a - b);
  const largest = codes[codes.length - 1] ?? 0;
  return {
    size: codes.length,
    decode: (value, bits) =>
      largest < 2 ** bits ? (set.has(value) ? value : undefined) : codes[value],
  };
}

export const IA5_ALPHABET: Alphabet = fullAlphabet(128);
export const BMP_ALPHABET: Alphabet = fullAlphabet(65536);

/** The dotted arcs of BER OBJECT IDENTIFIER contents (X.690 §8.19), or undefined when malformed. */
export function oidArcs(contents: Uint8Array): string | undefined {
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < contents.length; i++) {
    const octet = contents[i] ?? 0;
    if (value === 0 && octet === 0x80) return undefined; // §8.19.2: no leading 0x80
    value = value * 128 + (octet & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 256) return undefined;
    if ((octet & 0x80) !== 0) continue;
    // §8.19.4: the first subidentifier packs two arcs, X·40 + Y with X in 0..2.
    const first = Math.min(2, Math.floor(value / 40));
    if (arcs.length === 0) arcs.push(first, value - 40 * first);
    else arcs.push(value);
    value = 0;
  }
  if (contents.length === 0 || ((contents[contents.length - 1] ?? 0) & 0x80) !== 0)
    return undefined;
  return arcs.join('.');
}
