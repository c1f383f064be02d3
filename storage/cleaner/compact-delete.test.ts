// Issue 14, cleanup.policy=compact,delete: the log manager's retention timer
// deletes a compacted log's segments past retention.ms as it does a
// delete-only log's, and the cleaner still compacts what is left.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { randomUUID } from 'node:crypto';
import { ManualClock } from '../../broker/clock.js';
import { buildRecordBatchSync, decodeBatchSync } from '../../protocol/record-batch.js';
import { joinPath } from '../fs.js';
import { LogManager } from '../log-manager.js';
import { memoryEnv, readAll, testConfig } from '../test-env.js';

const RETENTION_MS = 60_000;
const CHECK_MS = 1_000;

function keyed(records: [string, string][], timestamp: number): Buffer {
  return buildRecordBatchSync({ records: records.map(([k, v]) => ({ key: Buffer.from(k), value: Buffer.from(v), timestamp })) });
}

let m: LogManager | null = null;
afterEach(async () => {
  await m?.close();
  m = null;
});

describe('cleanup.policy=compact,delete', () => {
  it('the retention timer deletes segments past retention.ms, and the cleaner compacts the rest', async () => {
    const env = await memoryEnv();
    const clock = new ManualClock(10_000_000);
    const topic = { topicId: randomUUID(), topic: 'both', partitions: 1, config: testConfig({ cleanupPolicy: ['compact', 'delete'], retentionMs: RETENTION_MS, segmentBytes: 100 }) };
    m = await LogManager.open({ dataDir: joinPath(env.root, 'kafka-data'), fs: env.fs, clock, topics: [topic], retentionCheckIntervalMs: CHECK_MS });
    const log = m.log('both', 0)!;
    const old = clock.now() - 2 * RETENTION_MS;
    const now = clock.now();
    // every batch fills a segment of its own (segment.bytes=100)
    for (const b of [
      keyed([['k1', 'old-1'], ['k2', 'old-2']], old), // offsets 0-1
      keyed([['k1', 'old-3']], old), // 2
      keyed([['k1', 'new-1'], ['k3', 'new-1']], now), // 3-4
      keyed([['k1', 'new-2']], now), // 5
      keyed([['k3', 'new-2']], now), // 6, the active segment
    ]) await log.append(b).written;

    clock.advance(CHECK_MS);
    // the timer's pass deletes the two segments whose records are older than retention.ms
    await vi.waitFor(() => expect(log.logStartOffset).toBe(3));

    const round = await m.cleaner!.clean(log);
    expect(round).not.toBeNull();
    const left = (await readAll(log)).flatMap((b) => decodeBatchSync(b).records.map((r) => [Number(r.offset), r.key!.toString(), r.value!.toString()]));
    // k1@3 is superseded by k1@5; k3@4 stays (k3@6 is in the active segment, which is never cleaned)
    expect(left).toEqual([
      [4, 'k3', 'new-1'],
      [5, 'k1', 'new-2'],
      [6, 'k3', 'new-2'],
    ]);
  });
});
