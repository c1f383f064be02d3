// Issue 14: the cleaner's CPU work runs in a worker thread (worker-engine.ts).
// A round the worker fails fails alone: the partition is marked uncleanable,
// the worker and the broker go on (another log still cleans), and close ends
// the worker thread.
import { afterEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { buildRecordBatchSync, writeBatchCrc } from '../../protocol/record-batch.js';
import { joinPath } from '../fs.js';
import { LogManager } from '../log-manager.js';
import { memoryEnv, readAll, testConfig } from '../test-env.js';

function keyed(key: string, value: string): Buffer {
  return buildRecordBatchSync({ records: [{ key: Buffer.from(key), value: Buffer.from(value), timestamp: 1 }] });
}

/** A batch whose CRC holds but whose one record claims more bytes than the batch has (a producer bug the CRC cannot catch). */
function unparsable(): Buffer {
  const b = keyed('k', 'v');
  b.writeInt8(0x7e, 61); // the record's length varint: 63 bytes
  writeBatchCrc(b, 0);
  return b;
}

const topic = (name: string) => ({ topicId: randomUUID(), topic: name, partitions: 1, config: testConfig({ cleanupPolicy: ['compact'], segmentBytes: 100 }) });

let m: LogManager | null = null;
afterEach(async () => {
  await m?.close();
  m = null;
});

describe('the cleaner worker thread', () => {
  it('a round that fails in the worker marks its partition uncleanable; other logs still clean', async () => {
    const env = await memoryEnv();
    m = await LogManager.open({ dataDir: joinPath(env.root, 'kafka-data'), fs: env.fs, topics: [topic('bad'), topic('good')], background: false });
    const bad = m.log('bad', 0)!;
    const good = m.log('good', 0)!;
    for (const b of [keyed('a', '1'), unparsable(), keyed('a', '2'), keyed('b', '1')]) await bad.append(b).written;
    for (const b of [keyed('a', '1'), keyed('a', '2'), keyed('b', '1')]) await good.append(b).written;

    expect(await m.cleaner!.clean(bad)).toBeNull();
    expect(m.cleaner!.uncleanableCount).toBe(1);
    expect(await readAll(bad)).toHaveLength(4); // nothing swapped in

    const round = await m.cleaner!.clean(good);
    expect(round).not.toBeNull();
    expect(round!.bytesWritten).toBeLessThan(round!.bytesRead);
    expect(m.cleaner!.uncleanableCount).toBe(1);
  });
});
