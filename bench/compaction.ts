// bench/compaction: the log cleaner (issue 14), in process on a real data
// directory, against ceilings measured in the same run:
//   clean    one round over a compacted log of --mb MiB (100 B values, --keys
//            distinct keys, each written many times): MiB of log cleaned per
//            second vs the buffered-disk write ceiling (goal >= 30%)
//   produce  appends to another log while a round runs (at most --seconds), vs the
//            same without it (goal >= 80%)
//   map      memory of the offset map per million keys
// A warm-up round on a small log runs first: the figures are a running
// cleaner's (its worker thread started once per process, ~0.4 s under tsx).
// Run: npx tsx bench/compaction.ts [--mb 64] [--keys 100000] [--seconds 3]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildRecordBatchSync } from '../protocol/record-batch.js';
import { LogManager } from '../storage/log-manager.js';
import { OffsetMap } from '../storage/cleaner/offset-map.js';
import { testConfig } from '../storage/test-env.js';
import { diskCeiling } from './ceilings.js';
import { fmt, printTable } from './stats.js';

const { values: args } = parseArgs({ options: { mb: { type: 'string', default: '64' }, keys: { type: 'string', default: '100000' }, seconds: { type: 'string', default: '3' } } });
const MB = Number(args.mb);
const KEYS = Number(args.keys);
const SECONDS = Number(args.seconds);
const MiB = 1024 * 1024;
const PER_BATCH = 100;
const value = Buffer.alloc(100, 7);

function keyedBatch(from: number): Buffer {
  const records = [];
  for (let i = 0; i < PER_BATCH; i++) records.push({ key: Buffer.from(`key-${(from + i) % KEYS}`), value, timestamp: Date.now() });
  return buildRecordBatchSync({ records });
}

const T = (name: string, id: string, segmentBytes = 16 * MiB) => ({
  topicId: `00000000-0000-4000-8000-${id.padStart(12, '0')}`,
  topic: name,
  partitions: 1,
  config: testConfig({ cleanupPolicy: ['compact'], segmentBytes }),
});

async function fill(m: LogManager, topic: string, bytes: number): Promise<void> {
  const log = m.log(topic, 0)!;
  let n = 0;
  let written = 0;
  while (written < bytes) {
    const b = keyedBatch(n);
    n += PER_BATCH;
    written += b.length;
    const r = log.append(b);
    if (n % (PER_BATCH * 64) === 0) await r.written;
  }
  await log.flush();
}

/** Appends to `topic` for `seconds` (or until `until` settles); MiB/s. */
async function produce(m: LogManager, topic: string, seconds: number, until?: Promise<unknown>): Promise<number> {
  let done = false;
  void until?.finally(() => (done = true));
  const log = m.log(topic, 0)!;
  const batch = keyedBatch(0);
  let bytes = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  while (performance.now() < end && !done) {
    let last;
    for (let i = 0; i < 16; i++) last = log.append(batch);
    await last!.written;
    bytes += 16 * batch.length;
  }
  return bytes / MiB / ((performance.now() - start) / 1000);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kafkalite-compaction-'));
  try {
    const disk = (await diskCeiling(dir, { seconds: 2 })).mbps;
    const m = await LogManager.open({ dataDir: join(dir, 'data'), topics: [T('dirty', '1'), T('side', '2'), T('warm', '3', 16 * 1024)], background: false });
    // a first round on a small log: the figures are those of a running cleaner (its worker thread started)
    for (let i = 0; i < 3; i++) await m.log('warm', 0)!.append(keyedBatch(0)).written;
    await m.cleaner!.clean(m.log('warm', 0)!);
    await fill(m, 'dirty', MB * MiB);
    m.log('dirty', 0)!.append(keyedBatch(0)); // the next batch rolls nothing; the filled segments are sealed by size
    const size = m.log('dirty', 0)!.size;

    const alone = await produce(m, 'side', SECONDS);
    const t0 = performance.now();
    let secs = 0;
    const round = m.cleaner!.clean(m.log('dirty', 0)!).finally(() => (secs = (performance.now() - t0) / 1000));
    // only while the round runs: produce after it would flatter the ratio
    const during = await produce(m, 'side', SECONDS, round);
    const result = await round;
    const cleanedMiB = (result?.bytesRead ?? 0) / MiB;
    const cleanRate = cleanedMiB / secs;
    await m.close();

    const map = new OffsetMap(128 * MiB, 0.9);
    for (let i = 0; i < 1_000_000; i++) map.put(Buffer.from(`key-${i}`), i);

    printTable(
      `log cleaner: ${fmt(size / MiB)} MiB log, ${fmt(KEYS)} keys, 100 B values`,
      ['figure', 'value', 'ceiling / floor', 'ratio', 'goal'],
      [
        ['clean MiB/s (bytes read by the round / its time)', fmt(cleanRate), `disk write ${fmt(disk)} MiB/s`, `${fmt((100 * cleanRate) / disk)}%`, '>= 30%'],
        ['produce MiB/s while cleaning', fmt(during), `alone ${fmt(alone)} MiB/s`, `${fmt((100 * during) / alone)}%`, '>= 80%'],
        ['offset map bytes per key (1e6 keys)', fmt(map.memoryBytes / 1e6), 'Kafka: 128 MiB fixed', '', ''],
        ['round: log bytes in -> out', `${fmt(cleanedMiB)} -> ${fmt((result?.bytesWritten ?? 0) / MiB)} MiB`, '', '', ''],
      ],
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
