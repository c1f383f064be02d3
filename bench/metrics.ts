// bench/metrics: what the metrics cost. On the hot path, the work one produce
// request does for them (two clock reads, the answer's record, the API meter,
// one topic meter), in ns, against the CPU a whole produce request takes in the
// same run: an in-process broker fed pre-built frames over loopback, with
// 1-record batches (the worst case: the metrics cost is per request, not per
// record) and 148-record ones. Client and broker share the process, so the
// request's figure includes the client's small share. Off the hot path, one
// scrape of a broker with many partitions and groups, in ms.
//
// Run: npx tsx bench/metrics.ts [--requests 20000] [--topics 100] [--groups 20]
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker } from '../broker/broker.js';
import { BrokerMetrics } from '../broker/metrics/metrics.js';
import { RawClient } from '../test/support/raw-client.js';
import { ProduceApi } from '../protocol/messages/00-produce.js';
import { buildRecordBatchSync } from '../protocol/record-batch.js';
import { median, opsPerSecond, printTable } from './stats.js';

const { values: argv } = parseArgs({ options: { requests: { type: 'string' }, topics: { type: 'string' }, groups: { type: 'string' } } });
const REQUESTS = Number(argv.requests ?? 20_000);
const TOPICS = Number(argv.topics ?? 100);
const GROUPS = Number(argv.groups ?? 20);
const PARTITIONS = 10;
const DEPTH = 32;

/** ns per call of fn. */
const nsPer = (fn: () => void) => 1e9 / opsPerSecond(fn);

// ---- the hot-path work, as connection.ts and the produce handler do it ----------------------
const metrics = new BrokerMetrics();
let sink = 0;
const metered = nsPer(() => {
  const receivedAt = performance.now();
  const answer = { parts: null, meter: metrics.api(0), version: 9, requestBytes: 200, receivedAt };
  const t = metrics.topic('bench');
  t.produceRequests++;
  t.messagesIn += 1;
  t.bytesIn += 150;
  answer.meter.record(answer.version, answer.requestBytes, 60, performance.now() - answer.receivedAt);
  sink += answer.requestBytes;
});

// ---- a whole produce request, in the same run ------------------------------------------------
async function produceCpu(records: number): Promise<number> {
  const broker = await startBroker();
  const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'bench', numPartitions: 1 }] });
  await admin.disconnect();
  const client = await RawClient.connect('127.0.0.1', broker.port);
  const batch = buildRecordBatchSync({ records: Array.from({ length: records }, () => ({ value: Buffer.alloc(100, 1), timestamp: Date.now() })) });
  let cid = 1;
  const one = () => {
    const id = cid++;
    const frame = client.encode(ProduceApi, 9, { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: 'bench', partitionData: [{ index: 0, records: batch }] }] }, id);
    return client.rawRequest(frame, id);
  };
  const run = async (n: number) => {
    let sent = 0;
    await Promise.all(
      Array.from({ length: DEPTH }, async () => {
        while (sent < n) {
          sent++;
          await one();
        }
      }),
    );
  };
  await run(2_000); // warm-up
  const cpu = process.cpuUsage();
  await run(REQUESTS);
  const used = process.cpuUsage(cpu);
  client.close();
  await broker.close();
  return ((used.user + used.system) * 1000) / REQUESTS;
}
const requestSmall = await produceCpu(1);
const requestBig = await produceCpu(148);

printTable(
  'hot path: the metrics work of one produce request, against the CPU of a whole one (client and broker in this process)',
  ['what', 'ns', 'share of a 1-record request', 'share of a 148-record request'],
  [
    ['metrics work per request (2 clock reads, record, topic meter)', metered, `${((metered / requestSmall) * 100).toFixed(2)}%`, `${((metered / requestBig) * 100).toFixed(2)}%`],
    ['whole produce request, 1 record of 100 B', requestSmall, '100%', ''],
    ['whole produce request, 148 records of 100 B', requestBig, '', '100%'],
  ],
);

// ---- one scrape -------------------------------------------------------------------------------
const broker = await startBroker({ metricsPort: 0 });
const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
const topics = Array.from({ length: TOPICS }, (_, i) => `t${i}`);
await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS })) });
for (let g = 0; g < GROUPS; g++) {
  await admin.setOffsets({ groupId: `g${g}`, topic: topics[g % TOPICS], partitions: Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, offset: '0' })) });
}
await admin.disconnect();
const time = async (fn: () => Promise<unknown>) => {
  const ms: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return median(ms.slice(3));
};
const scrapeMs = await time(async () => (await fetch(broker.metricsEndpoint!.url)).text());
const textBytes = (await (await fetch(broker.metricsEndpoint!.url)).text()).length;
const snapshotMs = await time(() => broker.metrics.snapshot());
const floorMs = await time(async () => (await fetch(`${broker.metricsEndpoint!.url.replace('/metrics', '/')}`)).text());
await broker.close();

const logs = TOPICS * PARTITIONS + (GROUPS > 0 ? broker.config.values['offsets.topic.num.partitions'] : 0);
printTable(
  `off the hot path: one scrape (${logs} partition logs, ${GROUPS} groups with ${PARTITIONS} committed partitions each)`,
  ['what', 'ms', 'vs a 404 from the same server'],
  [
    [`GET /metrics (${Math.round(textBytes / 1024)} KiB)`, scrapeMs, `${(scrapeMs / floorMs).toFixed(1)}x`],
    ['metrics.snapshot()', snapshotMs, `${(snapshotMs / floorMs).toFixed(1)}x`],
    ['GET / (404): the HTTP floor', floorMs, '1.0x'],
  ],
);
if (sink === 0.5) process.stdout.write('\n');
