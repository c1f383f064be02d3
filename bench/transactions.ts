// Transactions, partition side: the cost of read_committed over
// read_uncommitted for a consumer reading 1,000,000 records of which 10% are in
// aborted transactions (issue 9's goal: read_committed at >= 90% of
// read_uncommitted, measured in the same run). The log is filled through the
// storage API (batches of 100 records; every tenth batch is one producer's
// transaction, aborted by a marker as the coordinator writes it), then read
// over TCP with raw Fetch requests (1 MiB per request), once per isolation
// level, alternating, `rounds` times; the table shows the medians.
// Run: npx tsx bench/transactions.ts [records] [rounds]
import { startBroker } from '../broker/broker.js';
import { RawClient } from '../test/support/raw-client.js';
import { CreateTopicsApi } from '../protocol/messages/19-create-topics.js';
import { FetchApi } from '../protocol/messages/01-fetch.js';
import { buildRecordBatchSync } from '../protocol/record-batch.js';
import { median, printTable } from './stats.js';

const RECORDS = Number(process.argv[2] ?? 1_000_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const PER_BATCH = 100;
const TOPIC = 'bench-txn';

const broker = await startBroker({ config: { 'log.segment.bytes': String(64 * 1024 * 1024) } });
const client = await RawClient.connect(broker.host, broker.port);
await client.request(CreateTopicsApi, 7, { topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1, configs: [] }] });
const log = broker.logs.log(TOPIC, 0)!;

const value = Buffer.alloc(100, 'v');
const now = BigInt(Date.now());
const records = Array.from({ length: PER_BATCH }, (_, i) => ({ key: null, value, timestamp: now + BigInt(i) }));
let aborted = 0;
for (let b = 0; b * PER_BATCH < RECORDS; b++) {
  if (b % 10 === 9) {
    const producerId = BigInt(1000 + b);
    log.append(buildRecordBatchSync({ records, producerId, producerEpoch: 0, baseSequence: 0, isTransactional: true }));
    await log.appendTxnMarker({ producerId, producerEpoch: 0, coordinatorEpoch: 0, commit: false });
    aborted += PER_BATCH;
  } else log.append(buildRecordBatchSync({ records }));
}
await log.flush();
const end = log.highWatermark;

/** Reads the partition from 0 to the end; returns records per second and the aborted entries seen. */
async function readAll(isolationLevel: number): Promise<{ rate: number; abortedEntries: number }> {
  let offset = 0n;
  let abortedEntries = 0;
  const t0 = performance.now();
  while (offset < BigInt(end)) {
    const res = await client.request(FetchApi, 11, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic: TOPIC, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20, logStartOffset: -1n }] }],
    });
    const p = res.responses[0].partitions[0];
    abortedEntries += p.abortedTransactions?.length ?? 0;
    const buf = p.records as Buffer;
    // the next offset: after the last batch's last offset
    let pos = 0;
    let last = -1n;
    while (pos + 61 <= buf.length) {
      last = buf.readBigInt64BE(pos) + BigInt(buf.readInt32BE(pos + 23));
      pos += 12 + buf.readInt32BE(pos + 8);
    }
    if (last < 0n) throw new Error(`no progress at ${offset}`);
    offset = last + 1n;
  }
  return { rate: RECORDS / ((performance.now() - t0) / 1000), abortedEntries };
}

const uncommitted: number[] = [];
const committed: number[] = [];
let entries = 0;
for (let r = 0; r < ROUNDS; r++) {
  uncommitted.push((await readAll(0)).rate);
  const c = await readAll(1);
  committed.push(c.rate);
  entries = c.abortedEntries;
}
const u = median(uncommitted);
const c = median(committed);
printTable(
  `read_committed vs read_uncommitted: ${RECORDS.toLocaleString('en-US')} records, ${aborted.toLocaleString('en-US')} in ${(aborted / PER_BATCH).toLocaleString('en-US')} aborted transactions (${entries} listed per read_committed pass), ${ROUNDS} rounds`,
  ['isolation', 'records/s', 'ratio to read_uncommitted'],
  [
    ['read_uncommitted (floor)', u, 1],
    ['read_committed', c, c / u],
  ],
);
client.close();
await broker.close();
