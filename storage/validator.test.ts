// Kafka's LogValidator checks, as storage applies them to a producer's batch.
import { describe, expect, it } from 'vitest';
import { buildRecordBatch, buildRecordBatchSync } from '../protocol/record-batch.js';
import { crc32c } from '../protocol/crc32c.js';
import { Compression } from '../protocol/compression.js';
import { OFF_CRC, OFF_MAGIC, OFF_RECORD_COUNT } from '../protocol/record-batch-layout.js';
import { isLogError } from './errors.js';
import { testConfig } from './test-env.js';
import { validateProducedRecords, type ValidateOptions } from './validator.js';
import type { LogConfig } from './log-config.js';

const NOW = 1_700_000_000_000;
const OPTS: ValidateOptions = { produceVersion: 9, checkTimestamps: true, now: NOW };

function batch(opts: { key?: Buffer | null; timestamp?: number; compression?: number; values?: number } = {}): Buffer {
  return buildRecordBatchSync({
    records: Array.from({ length: opts.values ?? 1 }, (_, i) => ({ key: opts.key === undefined ? Buffer.from('k') : opts.key, value: Buffer.from(`v${i}`), timestamp: opts.timestamp ?? NOW })),
    compression: opts.compression,
  });
}

async function code(records: Buffer, over: Partial<LogConfig> = {}, opts: Partial<ValidateOptions> = {}): Promise<string> {
  try {
    await validateProducedRecords(records, testConfig(over), { ...OPTS, ...opts });
    return 'NONE';
  } catch (e) {
    if (isLogError(e)) return e.code;
    throw e;
  }
}

describe('validateProducedRecords', () => {
  it('accepts one good batch', async () => {
    expect(await code(batch({ values: 3 }))).toBe('NONE');
    expect(await code(batch({ compression: Compression.gzip, values: 3 }))).toBe('NONE');
  });

  it('answers each of Kafka\'s refusals with its error', async () => {
    const magic1 = batch();
    magic1[OFF_MAGIC] = 1;
    expect(await code(magic1)).toBe('INVALID_RECORD');
    expect(await code(Buffer.concat([batch(), batch()]))).toBe('INVALID_RECORD');
    const badCrc = batch();
    badCrc.writeUInt32BE((badCrc.readUInt32BE(OFF_CRC) + 1) >>> 0, OFF_CRC);
    expect(await code(badCrc)).toBe('CORRUPT_MESSAGE');
    const zstd = await buildRecordBatch({ records: [{ key: null, value: Buffer.from('z'), timestamp: NOW }], compression: Compression.zstd });
    expect(await code(zstd, {}, { produceVersion: 6 })).toBe('UNSUPPORTED_COMPRESSION_TYPE');
    expect(await code(zstd, {}, { produceVersion: 7 })).toBe('NONE');
    expect(await code(batch({ values: 10 }), { maxMessageBytes: 100 })).toBe('MESSAGE_TOO_LARGE');
    expect(await code(batch({ key: null }), { cleanupPolicy: ['compact'] })).toBe('INVALID_RECORD');
    expect(await code(batch({ key: null }))).toBe('NONE');
    expect(await code(batch({ timestamp: NOW + 10_000 }), { messageTimestampAfterMaxMs: 1_000 })).toBe('INVALID_TIMESTAMP');
    expect(await code(batch({ timestamp: NOW - 10_000 }), { messageTimestampBeforeMaxMs: 1_000 })).toBe('INVALID_TIMESTAMP');
    expect(await code(batch({ timestamp: NOW - 10_000 }), { messageTimestampBeforeMaxMs: 1_000 }, { checkTimestamps: false })).toBe('NONE');
    expect(await code(batch({ timestamp: NOW - 10_000 }), { messageTimestampBeforeMaxMs: 1_000, messageTimestampType: 'LogAppendTime' })).toBe('NONE');
  });

  it('refuses a record count that disagrees with the records', async () => {
    const b = batch({ values: 2 });
    b.writeInt32BE(3, OFF_RECORD_COUNT); // the CRC covers it: recompute so only the count is wrong
    b.writeUInt32BE(crc32c(b.subarray(OFF_CRC + 4)), OFF_CRC);
    expect(await code(b)).toBe('INVALID_RECORD');
  });
});
