// bench/codec: encode/decode throughput of a Produce request carrying 1 MiB of
// record batches and a Fetch response carrying 1 MiB of batches, against a plain
// Buffer.copy of the same bytes measured in the same run. Record bytes are
// sliced, never copied or re-encoded, so the codecs should beat the copy.
// Run: npx tsx bench/codec.ts
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import { ProduceApi } from '../protocol/messages/00-produce.js';
import { FetchApi } from '../protocol/messages/01-fetch.js';
import { opsPerSecond, printTable } from './stats.js';

const MiB = 1024 * 1024;
const BATCH = 64 * 1024;
const PARTITIONS = 16; // 16 x 64 KiB = 1 MiB
const batches = Array.from({ length: PARTITIONS }, () => {
  const b = Buffer.allocUnsafe(BATCH);
  for (let i = 0; i < b.length; i += 4) b.writeUInt32LE((i * 2654435761) >>> 0, i);
  return b;
});

const encodeFrame = (write: (w: Writer) => void) => {
  const w = new Writer();
  write(w);
  return w.toBuffer();
};

const rows: (string | number)[][] = [];
const copyTarget = Buffer.allocUnsafe(MiB);
const copySource = Buffer.concat(batches);
const copyRate = opsPerSecond(() => copySource.copy(copyTarget));
rows.push(['Buffer.copy of 1 MiB (ceiling)', copyRate, copyRate, 1]);

for (const version of [9, 11]) {
  const produce = {
    acks: -1,
    timeoutMs: 30000,
    topicData: [{ name: 'bench', partitionData: batches.map((records, index) => ({ index, records })) }],
  };
  const frame = encodeFrame((w) => ProduceApi.request.write(w, produce, version));
  const enc = opsPerSecond(() => {
    const w = new Writer();
    ProduceApi.request.write(w, produce, version);
    w.toBuffers();
  });
  const dec = opsPerSecond(() => ProduceApi.request.read(new Reader(frame), version));
  rows.push([`Produce v${version} request encode`, enc, enc, enc / copyRate]);
  rows.push([`Produce v${version} request decode`, dec, dec, dec / copyRate]);
}

for (const version of [11, 13, 17]) {
  const fetch = {
    responses: [
      {
        topic: 'bench',
        topicId: '5b8c9d3e-0000-4000-8000-000000000001',
        partitions: batches.map((records, partitionIndex) => ({ partitionIndex, highWatermark: 1000n, records })),
      },
    ],
  };
  const frame = encodeFrame((w) => FetchApi.response.write(w, fetch, version));
  const enc = opsPerSecond(() => {
    const w = new Writer();
    FetchApi.response.write(w, fetch, version);
    w.toBuffers();
  });
  const dec = opsPerSecond(() => FetchApi.response.read(new Reader(frame), version));
  rows.push([`Fetch v${version} response encode`, enc, enc, enc / copyRate]);
  rows.push([`Fetch v${version} response decode`, dec, dec, dec / copyRate]);
}

printTable(
  'codec throughput, 1 MiB of record batches per message (medians of 7 samples)',
  ['operation', 'ops/s', 'MiB/s', 'x Buffer.copy'],
  rows,
);
