// Storage-only throughput: PartitionLog on the real file system (a temp dir)
// next to this machine's ceilings, measured in the same run:
//   - raw sequential writes (node FileHandle.write of the same chunks), buffered
//   - raw writes with fdatasync every 1 MiB
// Prints one table. Run: npx tsx bench/storage-log.ts [seconds-per-case]

import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RealFileSystem } from '../storage/fs-real.js';
import type { LogConfig } from '../storage/log-config.js';
import { testConfig } from '../storage/test-env.js';
import { PartitionLog } from '../storage/partition-log.js';
import { simpleBatch } from '../storage/test-batches.js';

const SECONDS = Number(process.argv[2] ?? 3);
const MiB = 1024 * 1024;

interface Row {
  case: string;
  mbPerSec: number;
  batchesPerSec: number;
  recordsPerSec?: number;
  fsyncsPerSec?: number;
  note?: string;
}

async function tempDir(): Promise<{ dir: string; done: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'kafkalite-bench-'));
  return { dir, done: () => rm(dir, { recursive: true, force: true }) };
}

async function rawWrites(chunk: number, syncEvery: number): Promise<Row> {
  const { dir, done } = await tempDir();
  const fh = await open(join(dir, 'raw.log'), 'w');
  const buf = Buffer.alloc(chunk, 7);
  let pos = 0;
  let sinceSync = 0;
  let syncs = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000) {
    await fh.write(buf, 0, buf.length, pos);
    pos += buf.length;
    sinceSync += buf.length;
    if (syncEvery > 0 && sinceSync >= syncEvery) {
      await fh.datasync();
      syncs++;
      sinceSync = 0;
    }
    if (pos > 2 * 1024 * MiB) pos = 0;
  }
  const s = (performance.now() - t0) / 1000;
  await fh.close();
  await done();
  return {
    case: syncEvery ? `ceiling: write ${chunk / 1024} KiB + fdatasync/1MiB` : `ceiling: write ${chunk / 1024} KiB buffered`,
    mbPerSec: pos / MiB / s,
    batchesPerSec: pos / chunk / s,
    fsyncsPerSec: syncs / s,
  };
}

async function produce(name: string, config: Partial<LogConfig>, batch: () => Buffer, recordsPerBatch: number, producers: number, acks: number): Promise<Row> {
  const { dir, done } = await tempDir();
  const log = await PartitionLog.open({
    fs: new RealFileSystem(),
    dir: join(dir, 't-0'),
    topic: 't',
    partition: 0,
    config: testConfig({ segmentBytes: 256 * MiB, ...config }),
  });
  // pre-built batches: the producer side costs nothing but a copy-free reuse
  const pool = Array.from({ length: 256 }, batch);
  let bytes = 0;
  let batches = 0;
  let stop = false;
  const t0 = performance.now();
  const run = async (id: number): Promise<void> => {
    let i = id;
    let inflight: Promise<void>[] = [];
    while (!stop) {
      const b = pool[i++ % pool.length]!;
      const r = log.append(b);
      bytes += b.length;
      batches++;
      if (acks === -1) await r.ack(-1);
      else {
        inflight.push(r.ack(1));
        if (inflight.length >= 64) {
          await Promise.all(inflight);
          inflight = [];
        }
      }
    }
    await Promise.all(inflight);
  };
  const timer = setTimeout(() => (stop = true), SECONDS * 1000);
  await Promise.all(Array.from({ length: producers }, (_, k) => run(k)));
  clearTimeout(timer);
  const s = (performance.now() - t0) / 1000;
  const fsyncs = log.stats.fsyncs;
  await log.close();
  await done();
  return { case: name, mbPerSec: bytes / MiB / s, batchesPerSec: batches / s, recordsPerSec: (batches * recordsPerBatch) / s, fsyncsPerSec: fsyncs / s };
}

async function tailFetch(consumers: number): Promise<Row> {
  const { dir, done } = await tempDir();
  const log = await PartitionLog.open({
    fs: new RealFileSystem(),
    dir: join(dir, 't-0'),
    topic: 't',
    partition: 0,
    config: testConfig({ segmentBytes: 256 * MiB }),
    tailCacheBytes: 64 * MiB,
  });
  const pool = Array.from({ length: 64 }, () => simpleBatch(64, { valueBytes: 1000 }));
  let stop = false;
  let fetched = 0;
  let fetches = 0;
  const producer = async (): Promise<void> => {
    let i = 0;
    while (!stop) {
      const rs = [];
      for (let k = 0; k < 16; k++) rs.push(log.append(Buffer.from(pool[i++ % pool.length]!)).written);
      await Promise.all(rs);
    }
  };
  const consumer = async (): Promise<void> => {
    let off = 0;
    while (!stop) {
      if (off >= log.highWatermark) {
        await new Promise((r) => setImmediate(r));
        continue;
      }
      const r = await log.read(off, MiB);
      fetches++;
      for (const b of r.batches) {
        fetched += b.length;
        off = Number(b.readBigInt64BE(0)) + b.readInt32BE(23) + 1;
      }
    }
  };
  const t0 = performance.now();
  const timer = setTimeout(() => (stop = true), SECONDS * 1000);
  await Promise.all([producer(), ...Array.from({ length: consumers }, consumer)]);
  clearTimeout(timer);
  const s = (performance.now() - t0) / 1000;
  await log.close();
  await done();
  return { case: `fetch from tail, ${consumers} consumers (+1 producer)`, mbPerSec: fetched / MiB / s, batchesPerSec: fetches / s, note: `${log.stats.cacheReads} cache / ${log.stats.diskReads} disk reads` };
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  rows.push(await rawWrites(64 * 1024, 0));
  rows.push(await rawWrites(64 * 1024, MiB));
  const big = (): Buffer => simpleBatch(64, { valueBytes: 1000 }); // ~64 KiB, 1 KiB records
  const small = (): Buffer => simpleBatch(160, { valueBytes: 100 }); // ~20 KiB, 100 B records
  rows.push(await produce('append acks=1, 64 KiB batches of 1 KiB records', {}, big, 64, 1, 1));
  rows.push(await produce('append acks=1, 100 B records (160/batch)', {}, small, 160, 1, 1));
  rows.push(await produce('append acks=-1 group-commit, 64 producers, 64 KiB', { flushMode: 'group-commit' }, big, 64, 64, -1));
  rows.push(await produce('append acks=-1 group-commit, 64 producers, 1 KiB', { flushMode: 'group-commit' }, () => simpleBatch(1, { valueBytes: 1000 }), 1, 64, -1));
  rows.push(await tailFetch(4));
  const ceilingSync = rows[1]!.mbPerSec;
  const ceilingBuf = rows[0]!.mbPerSec;
  console.log(`storage bench, ${SECONDS}s per case, node ${process.version}`);
  console.log('| case | MB/s | batches/s | records/s | fsyncs/s | vs ceiling | note |');
  console.log('|---|---:|---:|---:|---:|---:|---|');
  for (const r of rows) {
    const ceiling = r.case.includes('group-commit') ? ceilingSync : ceilingBuf;
    const ratio = r.case.startsWith('ceiling') ? '' : `${((100 * r.mbPerSec) / ceiling).toFixed(0)}%`;
    console.log(
      `| ${r.case} | ${r.mbPerSec.toFixed(0)} | ${r.batchesPerSec.toFixed(0)} | ${r.recordsPerSec?.toFixed(0) ?? ''} | ${r.fsyncsPerSec?.toFixed(0) ?? ''} | ${ratio} | ${r.note ?? ''} |`,
    );
  }
}

await main();
