// bench/throughput/latency: produce-to-consume latency. A producer sends, every
// ~1 ms tick, the records due since the start in one batch (100 B records,
// acks=1); a consumer long-polls Fetch (max_wait_ms 500) from the next offset;
// the creation time (hrtime) travels in each record value.
//   e   at 5,000 records/s
//   e50 at 50% of the max produce rate of 100 B records to the same partition,
//       measured first on the same broker in the same run (4 connections x 8
//       pipelined 16 KiB batches): issue 15's goal, p99 <= 5 ms
// Run alone: npx tsx bench/throughput/latency.ts [--quick] [--only e50]
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { RawClient } from '../../test/support/raw-client.js';
import { Reader } from '../../protocol/reader.js';
import { readResponseHeader } from '../../protocol/messages/data/response-header.js';
import { ProduceApi } from '../../protocol/messages/00-produce.js';
import { FetchApi } from '../../protocol/messages/01-fetch.js';
import { buildRecordBatchSync, decodeBatchSync } from '../../protocol/record-batch.js';
import { percentile } from '../stats.js';
import { cpuWindow, type CpuShares } from '../harness/cpu.js';
import { countersWindow, type BrokerCounters } from '../harness/metrics.js';
import { FrameSplitter, Pipeline } from '../harness/pipeline.js';
import type { BrokerChild } from '../harness/broker.js';
import {
  FETCH_V,
  KiB,
  MiB,
  PRODUCE_V,
  buildBatch,
  fetchFrame,
  isMain,
  main,
  measure,
  medianOf,
  monoMicros,
  produceCheck,
  produceFrame,
  rangeOf,
  row,
  setup,
  sleep,
  startBroker,
  type Context,
  type Scenario,
} from './common.js';

interface LatencyResult {
  latenciesMs: number[];
  ackLatenciesMs: number[];
  perIntervalP99: number[];
  sent: number;
  received: number;
  cpu: CpuShares;
  counters: BrokerCounters | null;
}

/** The latency window against a running broker whose `topic` has partition 0. */
async function latencyRun(ctx: Context, broker: BrokerChild, client: RawClient, topic: string, recordsPerSec: number): Promise<LatencyResult> {
  const producer = await RawClient.connect('127.0.0.1', broker.port);
  const consumerSock = await new Promise<Socket>((res, rej) => {
    const s = connect({ host: '127.0.0.1', port: broker.port }, () => res(s));
    s.once('error', rej);
  });
  consumerSock.setNoDelay(true);
  const pad = randomBytes(92);
  let running = true;
  let measuring = false;
  const latencies: number[] = [];
  const ackLatencies: number[] = [];
  let intervalLat: number[] = [];
  const perIntervalP99: number[] = [];
  let received = 0;
  let sent = 0;
  let produceErrors = 0;
  let cid = 1;

  // consumer: one long-poll fetch at a time from the next offset (the log's end when this starts)
  let offset = -1;
  const sendFetch = () => consumerSock.write(fetchFrame(client, topic, 0, offset, { maxWaitMs: 500, partitionMaxBytes: MiB }, cid++));
  const splitter = new FrameSplitter(
    () => true,
    (frame) => {
      const at = process.hrtime.bigint();
      const r = new Reader(frame!);
      readResponseHeader(r, 1);
      const res = FetchApi.response.read(r, FETCH_V);
      const p = res.responses[0]?.partitions[0];
      if (p && p.errorCode === 0 && Buffer.isBuffer(p.records)) {
        const recs = p.records;
        let pos = 0;
        while (pos < recs.length) {
          const b = decodeBatchSync(recs, pos);
          for (const rec of b.records) {
            const ms = Number(at - rec.value!.readBigInt64BE(0)) / 1e6;
            received++;
            if (measuring) {
              latencies.push(ms);
              intervalLat.push(ms);
            }
          }
          offset = Number(b.header.baseOffset) + b.header.lastOffsetDelta + 1;
          pos = b.end;
        }
      }
      if (running) sendFetch();
    },
  );
  consumerSock.on('data', (c: Buffer) => splitter.push(c));
  // start from the high watermark: records produced before (the max-rate phase) are not this window's
  const hw = await client.request(FetchApi, FETCH_V, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 }] }],
    forgottenTopicsData: [],
    rackId: '',
  });
  offset = Number(hw.responses[0]!.partitions[0]!.highWatermark);
  sendFetch();

  // producer: every ~1 ms, the records due since the start, in one batch
  const t0 = process.hrtime.bigint();
  const tick = setInterval(() => {
    const due = Math.floor((Number(process.hrtime.bigint() - t0) / 1e9) * recordsPerSec) - sent;
    if (due <= 0) return;
    const value = Buffer.allocUnsafe(100);
    value.writeBigInt64BE(process.hrtime.bigint(), 0);
    pad.copy(value, 8);
    const ts = Date.now();
    const records = Array.from({ length: due }, () => ({ value, timestamp: ts }));
    sent += due;
    const sentAt = process.hrtime.bigint();
    producer
      .request(ProduceApi, PRODUCE_V, { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: buildRecordBatchSync({ records }) }] }] })
      .then(
        (res) => {
          if (measuring) ackLatencies.push(Number(process.hrtime.bigint() - sentAt) / 1e6);
          if (res.responses[0]!.partitionResponses[0]!.errorCode !== 0) produceErrors++;
        },
        () => produceErrors++,
      );
  }, 1);

  try {
    await sleep(ctx.opts.warmup * 1000);
    measuring = true;
    const endCounters = await countersWindow(broker.scrape);
    const endCpu = cpuWindow(broker.pid);
    const m0 = monoMicros();
    for (let i = 0; i < ctx.opts.seconds; i++) {
      await sleep(1000);
      perIntervalP99.push(intervalLat.length ? percentile(intervalLat, 99) : NaN);
      intervalLat = [];
    }
    measuring = false;
    ctx.windows.set(broker.name, [m0, monoMicros()]);
    const cpu = endCpu();
    const counters = await endCounters();
    clearInterval(tick);
    running = false;
    await sleep(600);
    if (produceErrors) process.stderr.write(`latency: ${produceErrors} produce errors\n`);
    return { latenciesMs: latencies, ackLatenciesMs: ackLatencies, perIntervalP99, sent, received, cpu, counters };
  } finally {
    clearInterval(tick);
    running = false;
    producer.close();
    consumerSock.destroy();
  }
}

function report(ctx: Context, id: string, title: string, r: LatencyResult): void {
  const p99 = percentile(r.latenciesMs, 99);
  row(ctx, id, { title: `${title} (${r.latenciesMs.length} samples)`, figure: 'p50 ms', value: percentile(r.latenciesMs, 50), cpu: r.cpu, counters: r.counters });
  row(ctx, id, { figure: 'p99 ms', value: p99, range: rangeOf(r.perIntervalP99), goal: '<= 5 ms', met: p99 <= 5 });
  row(ctx, id, { figure: 'max ms', value: Math.max(...r.latenciesMs) });
  row(ctx, id, { title: '(produce request -> acks=1 answer, same run)', figure: 'ack p50 ms', value: percentile(r.ackLatenciesMs, 50) });
  row(ctx, id, { figure: 'ack p99 ms', value: percentile(r.ackLatenciesMs, 99) });
  if (r.received < r.sent * 0.9) process.stderr.write(`${id}: received ${r.received} of ${r.sent} records\n`);
}

async function fixedRate(ctx: Context): Promise<void> {
  const broker = await startBroker(ctx, 'e');
  const client = await setup(broker.port, 'bench-e', 1);
  try {
    report(ctx, 'e', '(e) produce->consume latency, 5,000 rec/s, long-poll fetch', await latencyRun(ctx, broker, client, 'bench-e', 5000));
  } finally {
    client.close();
    await broker.stop();
  }
}

async function halfMaxRate(ctx: Context): Promise<void> {
  const broker = await startBroker(ctx, 'e50');
  const topic = 'bench-e50';
  const client = await setup(broker.port, topic, 1);
  const pipes: Pipeline[] = [];
  try {
    // the max produce rate of 100 B records to this partition
    const { batch, records } = buildBatch(100, 16 * KiB);
    for (let c = 0; c < 4; c++) {
      const frames = Array.from({ length: 8 }, (_, k) => produceFrame(client, topic, 0, batch, 1, 1000 + k));
      pipes.push(await Pipeline.open(broker.port, frames, { depth: 8, check: produceCheck, sampleEvery: 16, sampleFirst: 4 }));
    }
    for (const p of pipes) p.start();
    const max = await measure(ctx, broker, () => ({ records: pipes.reduce((s, p) => s + p.responses, 0) * records }));
    await Promise.all(pipes.map((p) => p.stop()));
    const maxRate = medianOf(max.series.records);
    row(ctx, 'e50', { title: '(e50) max produce rate, 100 B rec in 16 KiB batches, 4 conn x 8, 1 part', figure: 'records/s', value: maxRate, range: rangeOf(max.series.records!), cpu: max.cpu, counters: max.counters });
    const target = Math.round(maxRate / 2);
    report(ctx, 'e50', `(e50) produce->consume latency at 50% of that, ${target.toLocaleString('en-US')} rec/s`, await latencyRun(ctx, broker, client, topic, target));
  } finally {
    for (const p of pipes) await p.stop().catch(() => {});
    client.close();
    await broker.stop();
  }
}

export const scenarios: Scenario[] = [
  { id: 'e', run: fixedRate },
  { id: 'e50', run: halfMaxRate },
];

if (isMain(import.meta.url)) main('bench/throughput/latency', scenarios);
