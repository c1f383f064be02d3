// A lean, allocation-free structural check of the records inside one v2 batch,
// for the produce path: every record's framing, offset deltas 0..n-1, header
// counts, exact lengths, and the timestamp delta range. The broker needs these
// facts to validate a batch as Kafka does without decoding keys and values.

export interface RecordScanResult {
  /** Smallest and largest timestampDelta seen (0 and 0 for an empty scan). */
  minTimestampDelta: number;
  maxTimestampDelta: number;
  /** Records whose key is null (compacted topics refuse them). */
  nullKeys: number;
}

export class RecordScanError extends Error {
  override name = 'RecordScanError';
}

/** Zig-zag varint at `pos`; returns the value and moves `cursor.pos`. */
function varint(buf: Buffer, cursor: { pos: number }, end: number): number {
  let u = 0;
  let mul = 1; // 2^shift, kept by multiplication: Math.pow per byte is slow
  let pos = cursor.pos;
  for (;;) {
    if (pos >= end) throw new RecordScanError('record ends inside a varint');
    const b = buf[pos++];
    u += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) break;
    mul *= 128;
    if (mul > 2 ** 28) throw new RecordScanError('varint longer than 5 bytes');
  }
  cursor.pos = pos;
  if (u > 0xffffffff) throw new RecordScanError('varint exceeds 32 bits');
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}

/** Zig-zag varlong as a double (exact within ±2^53, which holds every sane timestamp delta). */
function varlong(buf: Buffer, cursor: { pos: number }, end: number): number {
  let u = 0;
  let mul = 1;
  let pos = cursor.pos;
  for (;;) {
    if (pos >= end) throw new RecordScanError('record ends inside a varlong');
    const b = buf[pos++];
    u += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) break;
    mul *= 128;
    if (mul > 2 ** 63) throw new RecordScanError('varlong longer than 10 bytes');
  }
  cursor.pos = pos;
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}

/**
 * Walks `recordCount` records in buf[start, end) (an uncompressed records
 * section). Throws RecordScanError on the first structural problem.
 */
export function scanRecords(buf: Buffer, start: number, end: number, recordCount: number): RecordScanResult {
  const c = { pos: start };
  let minTs = Infinity;
  let maxTs = -Infinity;
  let nullKeys = 0;
  for (let i = 0; i < recordCount; i++) {
    const length = varint(buf, c, end);
    const recordEnd = c.pos + length;
    if (length < 6 || recordEnd > end) throw new RecordScanError(`record ${i} has invalid length ${length}`);
    c.pos++; // attributes
    const tsDelta = varlong(buf, c, recordEnd);
    if (tsDelta < minTs) minTs = tsDelta;
    if (tsDelta > maxTs) maxTs = tsDelta;
    const offsetDelta = varint(buf, c, recordEnd);
    if (offsetDelta !== i) throw new RecordScanError(`record ${i} has offset delta ${offsetDelta}`);
    const keyLength = varint(buf, c, recordEnd);
    if (keyLength < -1) throw new RecordScanError(`record ${i} has key length ${keyLength}`);
    if (keyLength === -1) nullKeys++;
    else c.pos += keyLength;
    const valueLength = c.pos <= recordEnd ? varint(buf, c, recordEnd) : -2;
    if (valueLength < -1) throw new RecordScanError(`record ${i} has value length ${valueLength}`);
    if (valueLength > 0) c.pos += valueLength;
    const headers = c.pos <= recordEnd ? varint(buf, c, recordEnd) : -1;
    if (headers < 0) throw new RecordScanError(`record ${i} has header count ${headers}`);
    for (let h = 0; h < headers; h++) {
      const hk = varint(buf, c, recordEnd);
      if (hk < 0) throw new RecordScanError(`record ${i} has a header with a null key`);
      c.pos += hk;
      const hv = c.pos <= recordEnd ? varint(buf, c, recordEnd) : -2;
      if (hv < -1) throw new RecordScanError(`record ${i} has header value length ${hv}`);
      if (hv > 0) c.pos += hv;
    }
    if (c.pos !== recordEnd) throw new RecordScanError(`record ${i} length ${length} disagrees with its fields`);
  }
  if (c.pos !== end) throw new RecordScanError(`${end - c.pos} bytes after the last record`);
  return { minTimestampDelta: recordCount ? minTs : 0, maxTimestampDelta: recordCount ? maxTs : 0, nullKeys };
}
