// Growable writer that produces a list of buffers. Large raw slices (record
// batches) are appended by reference, never copied, so an encoded Fetch response
// can go to the socket as one vectored write.

export class EncodeError extends Error {
  override name = 'EncodeError';
}

const CHUNK = 16 * 1024;
/** Raw slices at least this long are referenced instead of copied. */
const REFERENCE_THRESHOLD = 1024;

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

export class Writer {
  private chunks: Buffer[] = [];
  private buf: Buffer;
  private pos = 0;
  private flushedBytes = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.flushedBytes + this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.seal();
    this.buf = Buffer.allocUnsafe(Math.max(n, CHUNK));
  }

  private seal(): void {
    if (this.pos > 0) {
      this.chunks.push(this.buf.subarray(0, this.pos));
      this.flushedBytes += this.pos;
      this.buf = this.buf.subarray(this.pos);
      this.pos = 0;
    }
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
    return this;
  }
  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }
  uint16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }
  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }
  uint32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }
  int64(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
    return this;
  }
  float64(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }
  bool(v: boolean): this {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
    return this;
  }

  uvarint(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new EncodeError(`unsigned varint out of range: ${v}`);
    this.ensure(5);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
    return this;
  }

  varint(v: number): this {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new EncodeError(`varint out of range: ${v}`);
    return this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  varlong(v: bigint): this {
    let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    this.ensure(10);
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
    return this;
  }

  uuid(v: string): this {
    if (v.length !== 36) throw new EncodeError(`not a uuid: ${v}`);
    this.ensure(16);
    let at = this.pos;
    for (let i = 0; i < 36; i += 2) {
      if (i === 8 || i === 13 || i === 18 || i === 23) {
        if (v.charCodeAt(i) !== 45) throw new EncodeError(`not a uuid: ${v}`);
        i--;
        continue;
      }
      const hi = hexValue(v.charCodeAt(i));
      const lo = hexValue(v.charCodeAt(i + 1));
      if (hi < 0 || lo < 0) throw new EncodeError(`not a uuid: ${v}`);
      this.buf[at++] = (hi << 4) | lo;
    }
    this.pos = at;
    return this;
  }

  /** Appends bytes: copied when small, referenced when large. */
  raw(b: Buffer): this {
    if (b.length >= REFERENCE_THRESHOLD) {
      this.seal();
      this.chunks.push(b);
      this.flushedBytes += b.length;
    } else {
      this.ensure(b.length);
      b.copy(this.buf, this.pos);
      this.pos += b.length;
    }
    return this;
  }

  private utf8(s: string, n: number): void {
    this.ensure(n);
    this.buf.write(s, this.pos, n, 'utf8');
    this.pos += n;
  }

  string(s: string): this {
    const n = Buffer.byteLength(s, 'utf8');
    if (n > 0x7fff) throw new EncodeError(`string of ${n} bytes is too long for an int16 length`);
    this.int16(n);
    this.utf8(s, n);
    return this;
  }
  nullableString(s: string | null): this {
    return s === null ? this.int16(-1) : this.string(s);
  }
  compactString(s: string): this {
    const n = Buffer.byteLength(s, 'utf8');
    this.uvarint(n + 1);
    this.utf8(s, n);
    return this;
  }
  compactNullableString(s: string | null): this {
    return s === null ? this.uvarint(0) : this.compactString(s);
  }

  bytes(b: Buffer): this {
    this.int32(b.length);
    return this.raw(b);
  }
  nullableBytes(b: Buffer | null): this {
    return b === null ? this.int32(-1) : this.bytes(b);
  }
  compactBytes(b: Buffer): this {
    this.uvarint(b.length + 1);
    return this.raw(b);
  }
  compactNullableBytes(b: Buffer | null): this {
    return b === null ? this.uvarint(0) : this.compactBytes(b);
  }

  /** Record data: a buffer or a list of buffers (e.g. slices of several segments), written without copying. */
  records(r: Buffer | readonly Buffer[] | null, compact: boolean): this {
    if (r === null) return compact ? this.uvarint(0) : this.int32(-1);
    const parts = Buffer.isBuffer(r) ? [r] : r;
    let n = 0;
    for (const p of parts) n += p.length;
    if (compact) this.uvarint(n + 1);
    else this.int32(n);
    for (const p of parts) this.raw(p);
    return this;
  }

  /** The written bytes as a list of buffers, in order. */
  toBuffers(): Buffer[] {
    this.seal();
    return this.chunks;
  }

  /** The written bytes as one buffer (copies when there is more than one chunk). */
  toBuffer(): Buffer {
    const parts = this.toBuffers();
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, this.flushedBytes);
  }
}
