// Throughput of each record compression codec on 1 MiB of realistic record
// data: the uncompressed records section of a RecordBatch of JSON events, which
// is exactly what a producer compresses. Prints a table of MB/s.
//
//   npx tsx bench/compression.ts [seconds-per-measurement]

import { Compression, type CompressionCodec, compress, compressSync, compressionName, decompress, decompressSync } from '../protocol/compression.js';
import { RECORD_BATCH_OVERHEAD, type RecordInput, buildRecordBatchSync } from '../protocol/record-batch.js';

const SECONDS = Number(process.argv[2] ?? 1);
const TARGET = 1024 * 1024;

function recordsPayload(): Buffer {
  let seed = 12345;
  const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];
  const events = ['page_view', 'add_to_cart', 'checkout', 'search', 'login'];
  const records: RecordInput[] = [];
  let size = 0;
  for (let i = 0; size < TARGET; i++) {
    const value = Buffer.from(
      JSON.stringify({
        id: `evt-${(1_000_000 + i).toString(36)}`,
        user: users[Math.floor(rnd() * users.length)],
        event: events[Math.floor(rnd() * events.length)],
        path: `/products/${Math.floor(rnd() * 5000)}`,
        price: Math.round(rnd() * 100_000) / 100,
        session: Math.floor(rnd() * 2 ** 32).toString(16),
        at: 1_700_000_000_000 + i * 17,
      }),
    );
    const key = Buffer.from(`user-${Math.floor(rnd() * 1000)}`);
    records.push({ key, value, timestamp: 1_700_000_000_000 + i * 17, headers: i % 4 === 0 ? [{ key: 'trace-id', value: Buffer.from(rnd().toString(16).slice(2)) }] : [] });
    size += value.length + key.length + 12;
  }
  const batch = buildRecordBatchSync({ records });
  return batch.subarray(RECORD_BATCH_OVERHEAD, RECORD_BATCH_OVERHEAD + TARGET);
}

async function rate(fn: () => unknown, bytes: number): Promise<number> {
  for (let i = 0; i < 3; i++) await fn();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < SECONDS * 1000) {
    await fn();
    n++;
  }
  return (n * bytes) / 1e6 / ((performance.now() - start) / 1000);
}

const input = recordsPayload();
const rows: Record<string, string | number>[] = [];
for (const codec of [Compression.gzip, Compression.snappy, Compression.lz4, Compression.zstd] as CompressionCodec[]) {
  const packed = await compress(codec, input);
  const hasSync = codec !== Compression.zstd;
  rows.push({
    codec: compressionName(codec),
    ratio: (input.length / packed.length).toFixed(2),
    'compress MB/s': (await rate(() => compress(codec, input), input.length)).toFixed(0),
    'decompress MB/s': (await rate(() => decompress(codec, packed), input.length)).toFixed(0),
    'compressSync MB/s': hasSync ? (await rate(() => compressSync(codec, input), input.length)).toFixed(0) : '-',
    'decompressSync MB/s': hasSync ? (await rate(() => decompressSync(codec, packed), input.length)).toFixed(0) : '-',
  });
}
console.log(`${(input.length / 1024).toFixed(0)} KiB of records, ${SECONDS}s per cell, Node ${process.version}`);
console.table(rows);
