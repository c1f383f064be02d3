// Transactions, partition side: the cost of read_committed over
// read_uncommitted for a consumer reading 1,000,000 records of which 10% are in
// aborted transactions (issue 9's goal: read_committed at >= 90% of
// read_uncommitted, measured in the same run). The log is filled through the
// storage API (batches of 100 records; every tenth batch is one producer's
// transaction, aborted by a marker as the coordinator writes it), then read
// over TCP with raw Fetch requests (1 MiB per request), once per isolation
// level, alternating, `rounds` times; the table shows the medians.
//
// Coordinator side: transactions per second of one producer committing 1, 10
// and 100 records per transaction at acks=-1, raw protocol over TCP
// (InitProducerId once; per transaction AddPartitionsToTxn, Produce, EndTxn;
// a CONCURRENT_TRANSACTIONS answer while the previous markers are being
// written is retried at once, as a round trip of its own). The floor is one
// request/response round trip against a trivial echo server in this process
// (the broker runs in this process too), measured in the same run. Issue 9's
// goal: a one-record transaction costs at most 4 floor round trips. An
// ApiVersions round trip to the broker is shown beside it: the part of a
// transaction's cost that every request pays, whatever its API. A last table
// splits the one-record transactions by step.
// Run: npx tsx bench/transactions.ts [records] [rounds]
import { startBroker } from '../broker/broker.js';
import { RawClient } from '../test/support/raw-client.js';
import { CreateTopicsApi } from '../protocol/messages/19-create-topics.js';
import { FetchApi } from '../protocol/messages/01-fetch.js';
import { InitProducerIdApi } from '../protocol/messages/22-init-producer-id.js';
import { AddPartitionsToTxnApi } from '../protocol/messages/24-add-partitions-to-txn.js';
import { ProduceApi } from '../protocol/messages/00-produce.js';
import { EndTxnApi } from '../protocol/messages/26-end-txn.js';
import { ApiVersionsApi } from '../protocol/messages/18-api-versions.js';
import { ErrorCode } from '../protocol/errors.js';
import { buildRecordBatchSync } from '../protocol/record-batch.js';
import { median, printTable } from './stats.js';
import { echoRoundTripMs } from './ceilings.js';

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

// ---- transactions per second, against the echo floor ----
const TXN_TOPIC = 'bench-txn-produce';
const TXN_ID = 'bench-txn-producer';
await client.request(CreateTopicsApi, 7, { topics: [{ name: TXN_TOPIC, numPartitions: 1, replicationFactor: 1, configs: [] }] });
const init = await client.request(InitProducerIdApi, 4, { transactionalId: TXN_ID, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
if (init.errorCode !== ErrorCode.NONE) throw new Error(`InitProducerId: error ${init.errorCode}`);
const { producerId, producerEpoch } = init;
let sequence = 0;
let roundTrips = 0;

/** Sends until the answer is not CONCURRENT_TRANSACTIONS; throws on any other error. */
async function call(what: string, send: () => Promise<number>): Promise<void> {
  for (;;) {
    roundTrips++;
    const code = await send();
    if (code === ErrorCode.NONE) return;
    if (code !== ErrorCode.CONCURRENT_TRANSACTIONS) throw new Error(`${what}: error ${code}`);
  }
}

/** Per step of the one-record transactions: ms each (a step's CONCURRENT_TRANSACTIONS retries included). */
const stepMs: Record<'AddPartitionsToTxn' | 'Produce' | 'EndTxn', number[]> = { AddPartitionsToTxn: [], Produce: [], EndTxn: [] };
const stepTrips: Record<keyof typeof stepMs, number> = { AddPartitionsToTxn: 0, Produce: 0, EndTxn: 0 };
let timeSteps = false;
async function timed(step: keyof typeof stepMs, run: () => Promise<void>): Promise<void> {
  if (!timeSteps) return run();
  const before = roundTrips;
  const t0 = performance.now();
  await run();
  stepMs[step].push(performance.now() - t0);
  stepTrips[step] += roundTrips - before;
}

/** One committed transaction of `batch` records. */
async function transaction(batch: Buffer[], n: number): Promise<void> {
  await timed('AddPartitionsToTxn', () => call('AddPartitionsToTxn', async () => {
    const r = await client.request(AddPartitionsToTxnApi, 3, {
      v3AndBelowTransactionalId: TXN_ID,
      v3AndBelowProducerId: producerId,
      v3AndBelowProducerEpoch: producerEpoch,
      v3AndBelowTopics: [{ name: TXN_TOPIC, partitions: [0] }],
    });
    return r.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode;
  }));
  const records = buildRecordBatchSync({ records: batch.map((v, i) => ({ key: null, value: v, timestamp: now + BigInt(i) })), producerId, producerEpoch, baseSequence: sequence, isTransactional: true });
  await timed('Produce', () => call('Produce', async () => {
    const r = await client.request(ProduceApi, 9, { transactionalId: TXN_ID, acks: -1, timeoutMs: 30_000, topicData: [{ name: TXN_TOPIC, partitionData: [{ index: 0, records }] }] });
    return r.responses[0].partitionResponses[0].errorCode;
  }));
  sequence += n;
  await timed('EndTxn', () => call('EndTxn', async () => (await client.request(EndTxnApi, 3, { transactionalId: TXN_ID, producerId, producerEpoch, committed: true })).errorCode));
}

const TXN_ROUNDS = 5;
const SIZES: [number, number][] = [
  [1, 300],
  [10, 300],
  [100, 100],
];
const floorMs = median(await echoRoundTripMs({ roundTrips: 1000, rounds: TXN_ROUNDS }));
const txnRows: (string | number)[][] = [['echo round trip (floor)', 1000 / floorMs, floorMs, 1, '', '']];
const apiVersions: number[] = [];
for (let r = 0; r <= TXN_ROUNDS; r++) {
  const t0 = performance.now();
  for (let i = 0; i < 1000; i++) await client.request(ApiVersionsApi, 3, { clientSoftwareName: 'bench', clientSoftwareVersion: '1' });
  if (r > 0) apiVersions.push((performance.now() - t0) / 1000);
}
const apiMs = median(apiVersions);
txnRows.push(['ApiVersions round trip to the broker', 1000 / apiMs, apiMs, apiMs / floorMs, 1, '']);
let goal = '';
for (const [size, count] of SIZES) {
  const batch = Array.from({ length: size }, () => value);
  for (let i = 0; i < 20; i++) await transaction(batch, size); // warm-up
  const perTxn: number[] = [];
  const trips: number[] = [];
  timeSteps = size === 1;
  for (let r = 0; r < TXN_ROUNDS; r++) {
    roundTrips = 0;
    const t0 = performance.now();
    for (let i = 0; i < count; i++) await transaction(batch, size);
    perTxn.push((performance.now() - t0) / count);
    trips.push(roundTrips / count);
  }
  timeSteps = false;
  const ms = median(perTxn);
  txnRows.push([`${size} record(s) per transaction`, 1000 / ms, ms, ms / floorMs, median(trips), size * (1000 / ms)]);
  if (size === 1) goal = `one-record transaction = ${(ms / floorMs).toFixed(2)} floor round trips (goal <= 4): ${ms / floorMs <= 4 ? 'met' : 'NOT met'}`;
}
printTable(
  `transactions per second, one producer, acks=-1, ${TXN_ROUNDS} rounds (medians); ${goal}`,
  ['what', 'per second', 'ms each', 'ratio to floor round trip', 'round trips', 'records/s'],
  txnRows,
);
const stepCount = stepMs.EndTxn.length;
printTable(
  `one-record transactions per step (${stepCount} transactions; a step's CONCURRENT_TRANSACTIONS retries count in it)`,
  ['step', 'ms each (median)', 'ratio to floor round trip', 'round trips'],
  (Object.keys(stepMs) as (keyof typeof stepMs)[]).map((k) => [k, median(stepMs[k]), median(stepMs[k]) / floorMs, stepTrips[k] / stepCount]),
);
client.close();
await broker.close();
