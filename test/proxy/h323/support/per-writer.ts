// A test-side ASN.1 BASIC-PER ALIGNED writer (ITU-T X.691): the mirror of src/codec/per.ts, kept
// independent of it, to build bit-exact H.225.0 vectors. Throws on values it cannot encode: a
// vector that cannot be built is a bug in the test.

function bitsFor(range: number): number {
  let bits = 0;
  while (2 ** bits < range) bits++;
  return bits;
}

export class PerWriter {
  readonly #bits: number[] = [];

  get bitLength(): number {
    return this.#bits.length;
  }

  bit(value: boolean): this {
    this.#bits.push(value ? 1 : 0);
    return this;
  }

  bits(value: number, count: number): this {
    if (value < 0 || value >= 2 ** count)
      throw new RangeError(`${value} needs more than ${count} bits`);
    for (let i = count - 1; i >= 0; i--) this.#bits.push(Math.floor(value / 2 ** i) % 2);
    return this;
  }

  align(): this {
    while (this.#bits.length % 8 !== 0) this.#bits.push(0);
    return this;
  }

  octets(bytes: Iterable<number>): this {
    this.align();
    for (const octet of bytes) this.bits(octet, 8);
    return this;
  }

  /** X.691 §11.5.7, ALIGNED variant. */
  constrained(value: number, lb: number, ub: number): this {
    if (value < lb || value > ub) throw new RangeError(`${value} outside ${lb}..${ub}`);
    const range = ub - lb + 1;
    const offset = value - lb;
    if (range === 1) return this;
    if (range <= 255) return this.bits(offset, bitsFor(range));
    if (range === 256) return this.align().bits(offset, 8);
    if (range <= 65536) return this.align().bits(offset, 16);
    let count = 1;
    while (offset >= 2 ** (8 * count)) count++;
    let maxOctets = 1;
    while (2 ** (8 * maxOctets) < range) maxOctets++;
    this.constrained(count, 1, maxOctets).align();
    return this.bits(offset, 8 * count);
  }

  /** X.691 §11.9.3.6–7: unconstrained length determinant (< 16K). */
  length(count: number): this {
    this.align();
    if (count < 128) return this.bits(count, 8);
    if (count < 16384) return this.bits(0x8000 + count, 16);
    throw new RangeError('fragmented lengths are not written');
  }

  /** X.691 §11.6 (only the small form). */
  smallNumber(value: number): this {
    if (value > 63) throw new RangeError('large small numbers are not written');
    return this.bit(false).bits(value, 6);
  }

  /** A root CHOICE alternative. */
  choice(index: number, rootCount: number, extensible: boolean): this {
    if (extensible) this.bit(false);
    return this.constrained(index, 0, rootCount - 1);
  }

  /** An extension CHOICE alternative: its index, then its value's complete encoding as an open type. */
  extensionChoice(index: number, value: PerWriter | Uint8Array): this {
    return this.bit(true).smallNumber(index).openType(value);
  }

  /** X.691 §11.2: an open type; an empty encoding is one zero octet (§11.1). */
  openType(value: PerWriter | Uint8Array): this {
    const bytes = value instanceof PerWriter ? value.toBytes() : value;
    const body = bytes.length === 0 ? Uint8Array.of(0) : bytes;
    return this.length(body.length).octets(body);
  }

  preamble(extended: boolean | undefined, present: readonly boolean[]): this {
    if (extended !== undefined) this.bit(extended);
    for (const p of present) this.bit(p);
    return this;
  }

  /**
   * X.691 §19.7–9: `total` additions (the type's count), those given by index present, each an
   * open type holding its complete encoding.
   */
  additions(total: number, present: ReadonlyMap<number, PerWriter | Uint8Array>): this {
    if (total > 64) throw new RangeError('large bitmaps are not written');
    this.bit(false).bits(total - 1, 6);
    for (let i = 0; i < total; i++) this.bit(present.has(i));
    for (let i = 0; i < total; i++) {
      const value = present.get(i);
      if (value !== undefined) this.openType(value);
    }
    return this;
  }

  /** A constrained length (ub < 64K) or an unconstrained one. */
  sizedLength(count: number, lb: number, ub: number | undefined): this {
    return ub !== undefined && ub < 65536 ? this.constrained(count, lb, ub) : this.length(count);
  }

  octetString(bytes: Uint8Array, lb: number, ub: number | undefined): this {
    if (lb === ub) return ub <= 2 ? this.#unaligned(bytes) : this.octets(bytes);
    return this.sizedLength(bytes.length, lb, ub).octets(bytes);
  }

  #unaligned(bytes: Uint8Array): this {
    for (const octet of bytes) this.bits(octet, 8);
    return this;
  }

  /** BMPString(SIZE(lb..ub)): 16-bit characters, octet-aligned when ub·16 > 16. */
  bmpString(text: string, lb: number, ub: number | undefined): this {
    this.sizedLength(text.length, lb, ub);
    if (ub === undefined || ub > 1) this.align();
    for (let i = 0; i < text.length; i++) this.bits(text.charCodeAt(i), 16);
    return this;
  }

  /** IA5String(SIZE(lb..ub)) without an alphabet constraint: 8 bits a character (aligned variant). */
  ia5String(text: string, lb: number, ub: number | undefined): this {
    this.sizedLength(text.length, lb, ub);
    if (ub === undefined || ub > 2) this.align();
    for (let i = 0; i < text.length; i++) this.bits(text.charCodeAt(i), 8);
    return this;
  }

  /** IA5String(SIZE(1..128))(FROM("0123456789#*,")): 4-bit indices into "#*,0123456789". */
  digits(text: string): this {
    const alphabet = '#*,0123456789';
    this.constrained(text.length, 1, 128).align();
    for (const c of text) {
      const index = alphabet.indexOf(c);
      if (index < 0) throw new RangeError(`${c} is not a digit`);
      this.bits(index, 4);
    }
    return this;
  }

  /** OBJECT IDENTIFIER: a length, then the BER contents. */
  objectIdentifier(dotted: string): this {
    const arcs = dotted.split('.').map(Number);
    const [first = 0, second = 0, ...rest] = arcs;
    const contents: number[] = [];
    for (const arc of [first * 40 + second, ...rest]) {
      const groups: number[] = [arc % 128];
      for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) {
        groups.unshift((v % 128) | 0x80);
      }
      contents.push(...groups);
    }
    return this.length(contents.length).octets(contents);
  }

  /** The encoding, padded with zero bits to a whole octet. */
  toBytes(): Uint8Array {
    const out = new Uint8Array(Math.ceil(this.#bits.length / 8));
    this.#bits.forEach((b, i) => {
      if (b === 1) out[i >> 3] = (out[i >> 3] ?? 0) | (0x80 >> (i & 7));
    });
    return out;
  }
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export function fromHex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/[^0-9a-f]/gi, ''), 'hex'));
}
