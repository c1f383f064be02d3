// Fault injection on the in-memory file system: failed fsyncs and writes, torn
// writes, crashes in the middle of group commit.

import { describe, expect, it } from 'vitest';
import { isLogError } from './errors.js';
import { MemoryFileSystem } from './fs-memory.js';
import { simpleBatch } from './test-batches.js';
import { lastOffsetOf, memoryEnv, openLog, readAll, testConfig } from './test-env.js';

const groupCommit = testConfig({ flushMode: 'group-commit', segmentBytes: 4000 });

describe('fault injection', () => {
  it('a failed fsync rejects every waiter it covered; the log stays consistent and the next fsync makes it durable', async () => {
    const fs = new MemoryFileSystem();
    const env = await memoryEnv(fs);
    const log = await openLog(env, { config: groupCommit });
    await log.append(simpleBatch(1)).ack(-1);
    fs.failNextSync();
    const results = await Promise.allSettled([1, 2, 3].map(() => log.append(simpleBatch(2)).ack(-1)));
    expect(results.every((r) => r.status === 'rejected' && isLogError(r.reason, 'KAFKA_STORAGE_ERROR'))).toBe(true);
    expect(log.state).toBe('online');
    // consumers did not see the unsynced batches
    expect(log.highWatermark).toBe(1);
    const next = log.append(simpleBatch(1));
    await next.ack(-1);
    expect(log.highWatermark).toBe(8);
    expect(log.recoveryPoint).toBe(8);
    expect((await readAll(log)).length).toBe(5);
    fs.crash();
    const again = await openLog(env, { config: groupCommit, hadCleanShutdown: false, recoveryPoint: 0 });
    expect(again.logEndOffset).toBe(8);
    await again.close();
  });

  it('a failed fsync rejects only the appends it covered; later ones are made durable by the retry', async () => {
    const fs = new MemoryFileSystem();
    const env = await memoryEnv(fs);
    const log = await openLog(env, { config: groupCommit });
    await log.append(simpleBatch(1)).ack(-1);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    fs.syncDelay = () => held;
    fs.failNextSync();
    const covered = log.append(simpleBatch(2)).ack(-1);
    await new Promise((r) => setTimeout(r, 20)); // its fsync is now in flight, held
    const later = log.append(simpleBatch(1));
    await later.written;
    const laterAck = later.ack(-1);
    fs.syncDelay = undefined;
    release();
    await expect(covered).rejects.toSatisfy((e: unknown) => isLogError(e, 'KAFKA_STORAGE_ERROR'));
    await laterAck;
    expect(log.highWatermark).toBe(4);
  });

  it('a failed write rejects the pending appends, reloads the log from disk and comes back online', async () => {
    const fs = new MemoryFileSystem();
    const env = await memoryEnv(fs);
    const log = await openLog(env);
    await log.append(simpleBatch(2, { producerId: 3, producerEpoch: 0, baseSequence: 0 })).written;
    fs.failNextWrite({ partialBytes: 30 }); // torn: 30 bytes of the batch reach the file
    const lost = log.append(simpleBatch(2, { producerId: 3, producerEpoch: 0, baseSequence: 2 }));
    await expect(lost.written).rejects.toSatisfy((e: unknown) => isLogError(e, 'KAFKA_STORAGE_ERROR'));
    expect(() => log.append(simpleBatch(1))).toThrow(/KAFKA_STORAGE_ERROR/);
    await log.whenSettled();
    expect(log.state).toBe('online');
    expect(log.logEndOffset).toBe(2);
    // the producer's retry is not a duplicate: that batch never made it
    const retry = log.append(simpleBatch(2, { producerId: 3, producerEpoch: 0, baseSequence: 2 }));
    expect([retry.duplicate, retry.baseOffset]).toEqual([false, 2]);
    await retry.written;
    const all = await readAll(log);
    expect(all.map(lastOffsetOf)).toEqual([1, 3]);
    await log.close();
    const again = await openLog(env, { hadCleanShutdown: true });
    expect(again.logEndOffset).toBe(4);
    await again.close();
  });

  it('group commit under crashes: what was acknowledged is there, nothing after it is torn', async () => {
    for (let round = 0; round < 20; round++) {
      const fs = new MemoryFileSystem();
      fs.syncDelay = () => new Promise((r) => setTimeout(r, 1));
      const env = await memoryEnv(fs);
      const log = await openLog(env, { config: groupCommit });
      const acked: number[] = [];
      const stop = Date.now() + 5 + round;
      let i = 0;
      while (Date.now() < stop) {
        const r = log.append(simpleBatch(1 + (i++ % 3), { valueBytes: 50 }));
        r.ack(-1).then(
          () => acked.push(r.lastOffset),
          () => undefined,
        );
        if (i % 16 === 0) await new Promise((res) => setImmediate(res));
      }
      const maxAcked = Math.max(-1, ...acked);
      fs.crash();
      const again = await openLog(env, { config: groupCommit, hadCleanShutdown: false, recoveryPoint: 0 });
      expect(again.logEndOffset).toBeGreaterThan(maxAcked);
      const batches = await readAll(again);
      let expected = 0;
      for (const b of batches) {
        expect(b.readBigInt64BE(0)).toBe(BigInt(expected));
        expected = lastOffsetOf(b) + 1;
      }
      expect(expected).toBe(again.logEndOffset);
      await again.close();
    }
  });

  it('group commit shares fsyncs: many producers, few fsyncs (counted on the file system)', async () => {
    const fs = new MemoryFileSystem();
    fs.syncDelay = () => new Promise((r) => setTimeout(r, 3));
    const env = await memoryEnv(fs);
    const log = await openLog(env, { config: testConfig({ flushMode: 'group-commit' }) });
    const syncsBefore = fs.stats.syncs;
    const producers = 64;
    const perProducer = 20;
    const run = async (): Promise<void> => {
      for (let k = 0; k < perProducer; k++) await log.append(simpleBatch(1, { valueBytes: 100 })).ack(-1);
    };
    await Promise.all(Array.from({ length: producers }, run));
    const syncs = fs.stats.syncs - syncsBefore;
    expect(log.recoveryPoint).toBe(producers * perProducer);
    // each fsync covers the appends of (about) every producer
    expect(syncs).toBeLessThanOrEqual(perProducer * 3);
    expect(log.stats.fsyncs).toBe(syncs);
    await log.close();
  });
});
