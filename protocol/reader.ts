// Bounds-checked reader over one frame. Every read checks the bytes left, so a
// malformed frame can only end in a DecodeError, never an out-of-range read or an
// allocation larger than the frame itself.

export class DecodeError extends Error {
  override name = 'DecodeError';
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export class Reader {
  pos: number;
  readonly end: number;

  constructor(readonly buf: Buffer, start = 0, end = buf.length) {
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): number {
    const at = this.pos;
    if (n < 0 || at + n > this.end) {
      throw new DecodeError(`need ${n} bytes at offset ${at}, frame has ${this.end - at} left`);
    }
    this.pos = at + n;
    return at;
  }

  int8(): number {
    return this.buf.readInt8(this.need(1));
  }
  int16(): number {
    return this.buf.readInt16BE(this.need(2));
  }
  uint16(): number {
    return this.buf.readUInt16BE(this.need(2));
  }
  int32(): number {
    return this.buf.readInt32BE(this.need(4));
  }
  uint32(): number {
    return this.buf.readUInt32BE(this.need(4));
  }
  int64(): bigint {
    return this.buf.readBigInt64BE(this.need(8));
  }
  float64(): number {
    return this.buf.readDoubleBE(this.need(8));
  }
  bool(): boolean {
    return this.buf[this.need(1)] !== 0;
  }

  /** Unsigned LEB128 varint of at most 32 bits (5 bytes). */
  uvarint(): number {
    let value = 0;
    // 128^i kept by multiplication: Math.pow per byte is slow.
    for (let mul = 1; mul < 2 ** 35; mul *= 128) {
      const b = this.buf[this.need(1)];
      value += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        if (value > 0xffffffff) throw new DecodeError('unsigned varint exceeds 32 bits');
        return value;
      }
    }
    throw new DecodeError('unsigned varint longer than 5 bytes');
  }

  /** Zig-zag signed varint (int32). */
  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  /** Zig-zag signed varlong (int64), at most 10 bytes. */
  varlong(): bigint {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const b = this.buf[this.need(1)];
      value |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) {
        value = BigInt.asUintN(64, value);
        return (value >> 1n) ^ -(value & 1n);
      }
    }
    throw new DecodeError('varlong longer than 10 bytes');
  }

  uuid(): string {
    const at = this.need(16);
    const b = this.buf;
    let s = '';
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
      s += HEX[b[at + i]];
    }
    return s;
  }

  /** Raw slice of the frame (shares memory, no copy). */
  slice(n: number): Buffer {
    const at = this.need(n);
    return this.buf.subarray(at, at + n);
  }

  utf8(n: number): string {
    const at = this.need(n);
    return this.buf.toString('utf8', at, at + n);
  }

  // Lengths: classic ones are int16/int32 with -1 for null; compact ones are
  // uvarint N+1 with 0 for null. Both return -1 for null.
  private checkedLength(n: number, what: string): number {
    if (n < -1) throw new DecodeError(`negative ${what} length ${n}`);
    if (n > this.end - this.pos) throw new DecodeError(`${what} length ${n} exceeds the ${this.end - this.pos} bytes left`);
    return n;
  }

  string(): string {
    const n = this.checkedLength(this.int16(), 'string');
    if (n < 0) throw new DecodeError('null where a non-nullable string is required');
    return this.utf8(n);
  }
  nullableString(): string | null {
    const n = this.checkedLength(this.int16(), 'string');
    return n < 0 ? null : this.utf8(n);
  }
  compactString(): string {
    const n = this.checkedLength(this.uvarint() - 1, 'string');
    if (n < 0) throw new DecodeError('null where a non-nullable string is required');
    return this.utf8(n);
  }
  compactNullableString(): string | null {
    const n = this.checkedLength(this.uvarint() - 1, 'string');
    return n < 0 ? null : this.utf8(n);
  }

  bytes(): Buffer {
    const n = this.checkedLength(this.int32(), 'bytes');
    if (n < 0) throw new DecodeError('null where non-nullable bytes are required');
    return this.slice(n);
  }
  nullableBytes(): Buffer | null {
    const n = this.checkedLength(this.int32(), 'bytes');
    return n < 0 ? null : this.slice(n);
  }
  compactBytes(): Buffer {
    const n = this.checkedLength(this.uvarint() - 1, 'bytes');
    if (n < 0) throw new DecodeError('null where non-nullable bytes are required');
    return this.slice(n);
  }
  compactNullableBytes(): Buffer | null {
    const n = this.checkedLength(this.uvarint() - 1, 'bytes');
    return n < 0 ? null : this.slice(n);
  }

  /**
   * Array element count; -1 means null. Every element of every array in the
   * protocol takes at least one byte, so a count above the bytes left is a lie
   * and is refused before anything is allocated.
   */
  arrayLength(): number {
    return this.checkedLength(this.int32(), 'array');
  }
  compactArrayLength(): number {
    return this.checkedLength(this.uvarint() - 1, 'array');
  }

  /** Skips a tagged-field section; calls `onTag` for each tag so callers can decode known ones. */
  taggedFields(onTag?: (tag: number, r: Reader) => void): void {
    const count = this.checkedLength(this.uvarint(), 'tagged field');
    let last = -1;
    for (let i = 0; i < count; i++) {
      const tag = this.uvarint();
      if (tag <= last) throw new DecodeError(`tagged fields out of order: ${tag} after ${last}`);
      last = tag;
      const size = this.checkedLength(this.uvarint(), 'tagged field');
      const start = this.need(size);
      if (onTag) {
        const sub = new Reader(this.buf, start, start + size);
        onTag(tag, sub);
      }
    }
  }
}
