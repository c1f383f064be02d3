// Storage with the protocol layer's real batch codec: batches built by
// protocol/record-batch.ts (compressed too) go in unchanged except for the
// stamped fields, come back out decodable, and timestamp look-ups see inside
// compressed batches through the decompress hook.

import { describe, expect, it } from 'vitest';
import { Compression, decompress } from '../protocol/compression.js';
import { buildRecordBatch, decodeBatch, validateBatchCrc } from '../protocol/record-batch.js';
import { memoryEnv, openLog, readAll, testConfig } from './test-env.js';
import { simpleBatch } from './test-batches.js';

describe('storage with protocol/record-batch.ts', () => {
  it('stores gzip and plain batches byte for byte, stamps offsets, and looks up timestamps inside them', async () => {
    const env = await memoryEnv();
    const log = await openLog(env, { decompress: (codec, data) => decompress(codec, data), config: testConfig({ indexIntervalBytes: 0 }) });
    const t0 = 1_700_000_000_000;
    const batches: Buffer[] = [];
    for (let i = 0; i < 6; i++) {
      const records = Array.from({ length: 4 }, (_, k) => ({ key: Buffer.from(`k${i}-${k}`), value: Buffer.from(`v${i}-${k}`), timestamp: t0 + i * 100 + k * 10, headers: [{ key: 'h', value: Buffer.from('x') }] }));
      const b = await buildRecordBatch({ records, compression: i % 2 === 0 ? Compression.gzip : Compression.none });
      batches.push(Buffer.from(b));
      log.append(b, { verifyCrc: true });
    }
    await log.flush();
    const stored = await readAll(log);
    expect(stored.length).toBe(6);
    for (let i = 0; i < 6; i++) {
      expect(validateBatchCrc(stored[i]!)).toBe(true);
      // identical to what the producer sent except baseOffset and partitionLeaderEpoch
      expect(stored[i]!.subarray(16).equals(batches[i]!.subarray(16))).toBe(true);
      const d = await decodeBatch(stored[i]!);
      expect(d.header.baseOffset).toBe(BigInt(i * 4));
      expect(d.records.map((r) => r.value?.toString())).toEqual([0, 1, 2, 3].map((k) => `v${i}-${k}`));
    }
    expect((await log.offsetForTimestamp(t0 + 2 * 100 + 15))?.offset).toBe(2 * 4 + 2);
    expect((await log.offsetForTimestamp(t0 + 3 * 100 + 25))?.offset).toBe(3 * 4 + 3);
    expect(await log.maxTimestampOffset()).toEqual({ offset: 23, timestamp: t0 + 530, leaderEpoch: 0 });
    await log.close();
  });

  it('the storage test helper builds batches the protocol codec decodes', async () => {
    const b = simpleBatch(3, { producerId: 4, producerEpoch: 1, baseSequence: 7 });
    expect(validateBatchCrc(b)).toBe(true);
    const d = await decodeBatch(b);
    expect(d.records.map((r) => r.value?.toString())).toEqual(['v-0', 'v-1', 'v-2']);
    expect([d.header.producerId, d.header.producerEpoch, d.header.baseSequence]).toEqual([4n, 1, 7]);
  });
});
