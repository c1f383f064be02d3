import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { scanRecords, RecordScanError } from './record-scan.js';
import { buildRecordBatchSync, RECORD_BATCH_OVERHEAD } from './record-batch.js';

const record = fc.record({
  key: fc.option(fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a)), { nil: null }),
  value: fc.option(fc.uint8Array({ maxLength: 50 }).map((a) => Buffer.from(a)), { nil: null }),
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 8 }), value: fc.option(fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)), { nil: null }) }), { maxLength: 3 }),
  timestamp: fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
});

describe('scanRecords', () => {
  it('agrees with the batch builder on every well-formed batch', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 20 }), (records) => {
        const batch = buildRecordBatchSync({ records });
        const res = scanRecords(batch, RECORD_BATCH_OVERHEAD, batch.length, records.length);
        const base = records[0].timestamp;
        const deltas = records.map((r) => r.timestamp - base);
        expect(res.minTimestampDelta).toBe(Math.min(...deltas));
        expect(res.maxTimestampDelta).toBe(Math.max(...deltas));
        expect(res.nullKeys).toBe(records.filter((r) => r.key === null).length);
      }),
    );
  });

  it('refuses wrong offset deltas, counts and trailing bytes', () => {
    const records = [{ timestamp: 1 }, { timestamp: 2, offsetDelta: 5 }];
    const bad = buildRecordBatchSync({ records, lastOffsetDelta: 1 });
    expect(() => scanRecords(bad, RECORD_BATCH_OVERHEAD, bad.length, 2)).toThrow(/offset delta 5/);
    const good = buildRecordBatchSync({ records: [{ timestamp: 1 }, { timestamp: 2 }] });
    expect(() => scanRecords(good, RECORD_BATCH_OVERHEAD, good.length, 1)).toThrow(/after the last record/);
    expect(() => scanRecords(good, RECORD_BATCH_OVERHEAD, good.length, 3)).toThrow(RecordScanError);
  });

  it('only ever throws RecordScanError on damaged bytes', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 5 }), fc.nat(), fc.nat(7), (records, at, bit) => {
        const batch = buildRecordBatchSync({ records });
        const pos = RECORD_BATCH_OVERHEAD + (at % (batch.length - RECORD_BATCH_OVERHEAD));
        batch[pos] ^= 1 << bit;
        try {
          scanRecords(batch, RECORD_BATCH_OVERHEAD, batch.length, records.length);
        } catch (err) {
          expect(err).toBeInstanceOf(RecordScanError);
        }
      }),
    );
  });
});
