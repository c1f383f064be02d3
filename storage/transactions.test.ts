// The partition side of transactions on both file systems: markers in Kafka's
// format, the last stable offset, read_committed reads with their aborted
// transactions, the `.txnindex` file, and all of it across clean restarts and
// crashes.

import { afterEach, describe, expect, it } from 'vitest';
import { readInt64 } from './batch.js';
import { decodeBatchSync } from '../protocol/record-batch.js';
import { buildTxnMarkerBatch } from './control-batch.js';
import { isLogError } from './errors.js';
import { joinPath } from './fs.js';
import { MemoryFileSystem } from './fs-memory.js';
import type { PartitionLog } from './partition-log.js';
import { simpleBatch } from './test-batches.js';
import { ENVS, dyingProcessFs, memoryEnv, openLog, testConfig, type TestEnv } from './test-env.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const T0 = Date.now();
const DIR = 'topic-0';
const txn = (pid: number, seq: number, n = 1) => simpleBatch(n, { producerId: pid, producerEpoch: 0, baseSequence: seq, transactional: true, baseTimestamp: T0 });
const plain = (n = 1) => simpleBatch(n, { baseTimestamp: T0 });

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (isLogError(e)) return e.code;
    throw e;
  }
}

async function offsetsRead(log: PartitionLog, from: number, committed: boolean): Promise<number[]> {
  const r = await log.read(from, 1 << 20, true, committed);
  return r.batches.map((b) => readInt64(b, 0));
}

async function txnIndexFiles(env: TestEnv): Promise<Record<string, Buffer>> {
  const out: Record<string, Buffer> = {};
  for (const name of await env.fs.readdir(joinPath(env.root, DIR))) {
    if (name.endsWith('.txnindex')) out[name] = await env.fs.readFile(joinPath(env.root, DIR, name));
  }
  return out;
}

describe.each(ENVS)('transactions on the partition (%s)', (_name, makeEnv) => {
  async function setup(): Promise<TestEnv> {
    const env = await makeEnv();
    cleanups.push(() => env.cleanup());
    return env;
  }

  it('writes a commit marker in Kafka format and moves the LSO past the transaction', async () => {
    const env = await setup();
    const log = await openLog(env);
    for (let i = 0; i < 5; i++) log.append(plain());
    await log.append(txn(7, 0, 2)).written; // offsets 5-6
    for (let i = 0; i < 3; i++) await log.append(plain()).written; // 7-9
    expect([log.highWatermark, log.lastStableOffset]).toEqual([10, 5]);
    expect(await offsetsRead(log, 0, true)).toEqual([0, 1, 2, 3, 4]);
    expect(await offsetsRead(log, 0, false)).toEqual([0, 1, 2, 3, 4, 5, 7, 8, 9]);
    // at the LSO: nothing and no error
    expect((await log.read(5, 1 << 20, true, true)).batches).toEqual([]);

    const { offset } = await log.appendTxnMarker({ producerId: 7n, producerEpoch: 0, coordinatorEpoch: 3, commit: true, timestamp: T0 });
    expect(offset).toBe(10n);
    expect([log.highWatermark, log.lastStableOffset]).toEqual([11, 11]);
    const r = await log.read(10, 1 << 20, true, true);
    expect(r.abortedTransactions).toEqual([]);
    const marker = decodeBatchSync(r.batches[0]!);
    expect(marker.header).toMatchObject({ attributes: 0x30, producerId: 7n, producerEpoch: 0, baseSequence: -1, recordCount: 1 });
    expect(marker.records[0]!.key!.toString('hex')).toBe('00000001');
    expect(marker.records[0]!.value!.toString('hex')).toBe('000000000003');
    expect(marker.records[0]!.headers).toEqual([]);
    await log.close();
  });

  it('indexes an abort, lists it to read_committed reads only, and keeps it across a clean restart', async () => {
    const env = await setup();
    let log = await openLog(env);
    log.append(txn(1, 0)); // 0
    log.append(txn(2, 0)); // 1
    log.append(txn(1, 1)); // 2
    await log.appendTxnMarker({ producerId: 2n, producerEpoch: 0, coordinatorEpoch: 0, commit: false }); // 3
    expect(log.lastStableOffset).toBe(0);
    await log.appendTxnMarker({ producerId: 1n, producerEpoch: 0, coordinatorEpoch: 0, commit: false }); // 4
    log.append(plain()); // 5
    await log.flush();
    const expected = [
      { producerId: 1, firstOffset: 0 },
      { producerId: 2, firstOffset: 1 },
    ];
    expect((await log.read(0, 1 << 20, true, true)).abortedTransactions).toEqual(expected);
    expect((await log.read(0, 1 << 20, true, false)).abortedTransactions).toBeUndefined();
    // an abort whose marker is below the fetch offset is not listed
    expect((await log.read(5, 1 << 20, true, true)).abortedTransactions).toEqual([]);
    const files = await txnIndexFiles(env);
    const idx = files['00000000000000000000.txnindex']!;
    expect(idx.length).toBe(68);
    // version 0, pid 2, first 1, last (marker) 3, LSO then: producer 1's open transaction at 0
    expect(idx.subarray(0, 34).toString('hex')).toBe('0000' + '0000000000000002' + '0000000000000001' + '0000000000000003' + '0000000000000000');
    expect(idx.subarray(34).toString('hex')).toBe('0000' + '0000000000000001' + '0000000000000000' + '0000000000000004' + '0000000000000005');
    await log.close();
    log = await openLog(env, { hadCleanShutdown: true, recoveryPoint: 6 });
    expect((await log.read(0, 1 << 20, true, true)).abortedTransactions).toEqual(expected);
    expect(log.lastStableOffset).toBe(6);
    await log.close();
    // a torn index file is rebuilt from the log, even after a clean shutdown
    await env.fs.writeFile(joinPath(env.root, DIR, '00000000000000000000.txnindex'), idx.subarray(0, 50));
    log = await openLog(env, { hadCleanShutdown: true, recoveryPoint: 6 });
    expect((await log.read(0, 1 << 20, true, true)).abortedTransactions).toEqual(expected);
    expect((await txnIndexFiles(env))['00000000000000000000.txnindex']).toEqual(idx);
    await log.close();
  });

  it('holds the LSO at an ended transaction until its marker is visible (group commit: fsynced)', async () => {
    const env = await setup();
    const log = await openLog(env, { config: testConfig({ flushMode: 'group-commit' }) });
    await log.append(txn(1, 0)).durable; // 0
    await log.append(plain()).durable; // 1
    const r = log.append(buildTxnMarkerBatch({ producerId: 1n, producerEpoch: 0, coordinatorEpoch: 0, commit: true }, T0), { origin: 'coordinator' });
    expect([log.highWatermark, log.lastStableOffset]).toEqual([2, 0]);
    await r.durable;
    expect([log.highWatermark, log.lastStableOffset]).toEqual([3, 3]);
    await log.close();
  });

  it('refuses markers from an older producer or coordinator epoch', async () => {
    const env = await setup();
    const log = await openLog(env);
    log.append(simpleBatch(1, { producerId: 4, producerEpoch: 2, baseSequence: 0, transactional: true }));
    expect(await code(log.appendTxnMarker({ producerId: 4n, producerEpoch: 1, coordinatorEpoch: 0, commit: true }))).toBe('INVALID_PRODUCER_EPOCH');
    expect(await code(log.appendTxnMarker({ producerId: 4n, producerEpoch: 2, coordinatorEpoch: 5, commit: true }))).toBe('ok');
    expect(await code(log.appendTxnMarker({ producerId: 4n, producerEpoch: 2, coordinatorEpoch: 4, commit: true }))).toBe('TRANSACTION_COORDINATOR_FENCED');
    expect(log.logEndOffset).toBe(2);
    await log.close();
  });

  it('keeps the LSO of an open transaction and the aborted index across a crash', async () => {
    const env = await setup();
    const config = testConfig({ segmentBytes: 400 });
    const log = await openLog(env, { config, fs: dyingProcessFs(env.fs) });
    log.append(txn(1, 0)); // 0
    await log.appendTxnMarker({ producerId: 1n, producerEpoch: 0, coordinatorEpoch: 0, commit: false }); // 1
    for (let i = 0; i < 8; i++) log.append(plain(3)); // 2..25, several segments
    log.append(txn(2, 0)); // 26
    log.append(plain()); // 27
    await log.flush();
    expect(log.segmentCount).toBeGreaterThan(2);
    expect(log.lastStableOffset).toBe(26);
    // the process dies; damage the index file of the first segment too: it is rebuilt
    const idxPath = joinPath(env.root, DIR, '00000000000000000000.txnindex');
    await env.fs.writeFile(idxPath, Buffer.alloc(20));
    const again = await openLog(env, { config, hadCleanShutdown: false, recoveryPoint: 0 });
    cleanups.push(async () => void (await again.close()));
    expect([again.logEndOffset, again.lastStableOffset]).toEqual([28, 26]);
    expect((await again.read(0, 1 << 20, true, true)).abortedTransactions).toEqual([{ producerId: 1, firstOffset: 0 }]);
    expect((await env.fs.readFile(idxPath)).length).toBe(34);
    expect(await offsetsRead(again, 25, true)).toEqual([23]);
    await again.appendTxnMarker({ producerId: 2n, producerEpoch: 0, coordinatorEpoch: 0, commit: true });
    expect(again.lastStableOffset).toBe(29);
  });

  it('deletes a segment\'s .txnindex with the segment (DeleteRecords, retention)', async () => {
    const env = await setup();
    const config = testConfig({ segmentBytes: 300 });
    const log = await openLog(env, { config });
    log.append(txn(1, 0));
    await log.appendTxnMarker({ producerId: 1n, producerEpoch: 0, coordinatorEpoch: 0, commit: false });
    for (let i = 0; i < 6; i++) log.append(plain(3));
    await log.flush();
    expect(Object.keys(await txnIndexFiles(env))).toEqual(['00000000000000000000.txnindex']);
    await log.deleteRecordsBefore(log.highWatermark);
    expect(await txnIndexFiles(env)).toEqual({});
    await log.close();
  });
});

describe('transactions on the partition (memory fs crash)', () => {
  it('a crash keeps exactly the synced markers and their index entries', async () => {
    const fs = new MemoryFileSystem();
    const env = await memoryEnv(fs);
    const log = await openLog(env, { fs: dyingProcessFs(fs) });
    log.append(txn(1, 0)); // 0
    await log.appendTxnMarker({ producerId: 1n, producerEpoch: 0, coordinatorEpoch: 0, commit: false }); // 1
    await log.flush();
    log.append(txn(2, 0)); // 2
    await log.appendTxnMarker({ producerId: 2n, producerEpoch: 0, coordinatorEpoch: 0, commit: false }); // 3, written, not synced
    expect(Object.values(await txnIndexFiles(env))[0]!.length).toBe(68);
    fs.crash();
    const again = await openLog(env, { hadCleanShutdown: false, recoveryPoint: 0 });
    // the unsynced batches are gone, and with them the index entry of their abort
    expect(again.logEndOffset).toBe(2);
    expect((await again.read(0, 1 << 20, true, true)).abortedTransactions).toEqual([{ producerId: 1, firstOffset: 0 }]);
    expect((await txnIndexFiles(env))['00000000000000000000.txnindex']!.length).toBe(34);
    await again.close();
  });
});
