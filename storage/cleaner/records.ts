// The cleaner's view of the records of one RecordBatch v2: where each record
// sits in the uncompressed records section and the few fields the cleaner
// reads (offset delta, timestamp delta, key range, null value), without
// decoding records into objects. Both passes of a round (offset map, filter)
// read every record, so this is their hot loop; a batch that needs rebuilding
// copies the kept records' bytes as they are.

/** One record; the scanner reuses the object, copy what you keep. */
export interface RecordSpan {
  index: number;
  /** [start, end): the whole record, its length varint included. */
  start: number;
  end: number;
  offsetDelta: number;
  timestampDelta: number;
  /** The key bytes [keyStart, keyEnd); keyStart is -1 for a null key. */
  keyStart: number;
  keyEnd: number;
  valueNull: boolean;
}

let pos = 0;

/** Zigzag varint or varlong at `pos` (as a double: a varlong past 2^53 loses precision, none of the fields read here get there). */
function varlong(b: Uint8Array, limit: number): number {
  let raw = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= limit) throw new Error('varint runs past its record');
    const byte = b[pos++]!;
    raw += (byte & 0x7f) * mul;
    if ((byte & 0x80) === 0) return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
    mul *= 128;
  }
  throw new Error('varint longer than 10 bytes');
}

/** Moves `pos` past a varint-length byte field; returns its length (-1: null). */
function skipBytes(b: Uint8Array, limit: number): number {
  const n = varlong(b, limit);
  if (n < -1 || pos + Math.max(n, 0) > limit) throw new Error(`byte field length ${n} with ${limit - pos} bytes left`);
  if (n > 0) pos += n;
  return n;
}

/**
 * Calls `each` for the `count` records of `payload` (an uncompressed records
 * section) in order; `each` returning false stops the scan. Throws on a
 * record that does not parse (the batch's CRC held, so a producer wrote it).
 */
export function scanRecords(payload: Uint8Array, count: number, each: (r: RecordSpan) => boolean | void): void {
  const r: RecordSpan = { index: 0, start: 0, end: 0, offsetDelta: 0, timestampDelta: 0, keyStart: -1, keyEnd: -1, valueNull: false };
  pos = 0;
  for (let i = 0; i < count; i++) {
    const start = pos;
    const length = varlong(payload, payload.length);
    if (length < 0 || pos + length > payload.length) throw new Error(`record ${i}: length ${length} with ${payload.length - pos} bytes left`);
    const end = pos + length;
    pos++; // attributes
    r.timestampDelta = varlong(payload, end);
    r.offsetDelta = varlong(payload, end);
    const keyLength = skipBytes(payload, end);
    r.keyStart = keyLength < 0 ? -1 : pos - keyLength;
    r.keyEnd = keyLength < 0 ? -1 : pos;
    r.valueNull = skipBytes(payload, end) < 0;
    r.index = i;
    r.start = start;
    r.end = end;
    pos = end; // headers are carried with the record's bytes, never read
    const next = pos;
    if (each(r) === false) return;
    pos = next;
  }
  if (pos !== payload.length) throw new Error(`${payload.length - pos} bytes after the ${count} declared records`);
}
