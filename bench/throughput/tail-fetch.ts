// bench/throughput/tail-fetch: fetch from the tail. 4 consumers, each on its own
// partition, cycling over the last 6 MiB (held by the log's tail cache), 1 MiB
// per partition per fetch, 4 fetches in flight each (BENCH_FETCH_DEPTH): MB/s
// against loopback TCP with 64 KiB writes and, for issue 15's goal, with writes
// the size of a fetch answer (1 MiB). Receiving the bytes is real work for the
// load generator, as it is for the loopback ceiling's sink.
// Run alone: npx tsx bench/throughput/tail-fetch.ts [--quick]
import { ProduceApi } from '../../protocol/messages/00-produce.js';
import { Pipeline } from '../harness/pipeline.js';
import { KiB, MiB, PRODUCE_V, buildBatch, fetchCheck, fetchFrame, isMain, main, measure, medianOf, rangeOf, row, setup, startBroker, type Context, type Scenario } from './common.js';

async function tailFetch(ctx: Context): Promise<void> {
  const PARTITIONS = 4;
  const TAIL = 6 * MiB;
  const loopback = await ctx.ceilings.measureLoopback();
  const loopbackSameWrite = await ctx.ceilings.measureLoopback(MiB);
  const broker = await startBroker(ctx, 'd');
  const topic = 'bench-d';
  const pipes: Pipeline[] = [];
  try {
    const client = await setup(broker.port, topic, PARTITIONS);
    const { batch, records } = buildBatch(1 * KiB, 64 * KiB);
    const perPartition = Math.ceil(TAIL / batch.length);
    // fill each partition's tail; offsets are sequential per partition (one request at a time)
    for (let p = 0; p < PARTITIONS; p++) {
      for (let k = 0; k < perPartition; k++) {
        const res = await client.request(ProduceApi, PRODUCE_V, { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: p, records: batch }] }] });
        const pr = res.responses[0]!.partitionResponses[0]!;
        if (pr.errorCode !== 0 || Number(pr.baseOffset) !== k * records) throw new Error(`prefill: error ${pr.errorCode} at offset ${pr.baseOffset}`);
      }
    }
    const batchesPerFetch = Math.floor(MiB / batch.length);
    for (let p = 0; p < PARTITIONS; p++) {
      const frames: Buffer[] = [];
      for (let k = 0; k + batchesPerFetch <= perPartition; k += batchesPerFetch) {
        frames.push(fetchFrame(client, topic, p, k * records, { maxWaitMs: 500, partitionMaxBytes: MiB }, 2000 + frames.length));
      }
      pipes.push(await Pipeline.open(broker.port, frames, { depth: ctx.opts.fetchDepth, check: fetchCheck, sampleEvery: 64, sampleFirst: 4 }));
    }
    client.close();
    for (const p of pipes) p.start();
    const rates = await measure(ctx, broker, () => {
      let bytes = 0;
      let n = 0;
      for (const p of pipes) {
        bytes += p.bytesIn;
        n += p.responses;
      }
      return { bytes, requests: n };
    });
    await Promise.all(pipes.map((p) => p.stop()));
    const errors = pipes.reduce((s, p) => s + p.errors, 0);
    if (errors) process.stderr.write(`d: ${errors} sampled responses carried errors, first: ${pipes.find((p) => p.errors)!.firstError}\n`);
    const mb = medianOf(rates.series.bytes) / 1e6;
    const ratio = mb / loopbackSameWrite;
    row(ctx, 'd', {
      title: `(d) fetch tail, 4 consumers x ${ctx.opts.fetchDepth} in flight, 1 MiB/fetch, 4 part${errors ? ` [${errors} ERRORS]` : ''}`,
      figure: 'MB/s',
      value: mb,
      range: rangeOf(rates.series.bytes!.map((v) => v / 1e6)),
      ceiling: loopbackSameWrite,
      ceilingName: 'loopback 1 MiB writes',
      ratio,
      goal: '>= 85% loopback, same write size',
      met: ratio >= 0.85,
      cpu: rates.cpu,
      counters: rates.counters,
    });
    row(ctx, 'd', { figure: 'MB/s vs loopback 64 KiB', value: mb, ceiling: loopback, ceilingName: 'loopback 64 KiB writes' });
    row(ctx, 'd', { figure: 'fetches/s', value: medianOf(rates.series.requests) });
  } finally {
    for (const p of pipes) await p.stop().catch(() => {});
    await broker.stop();
  }
}

export const scenarios: Scenario[] = [{ id: 'd', run: tailFetch }];

if (isMain(import.meta.url)) main('bench/throughput/tail-fetch', scenarios);
