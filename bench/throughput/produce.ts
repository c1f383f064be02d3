// bench/throughput/produce: produce at acks=1 over 4 connections to 4 partitions,
// requests pipelined, pre-built batches re-sent as they are.
//   a   1 KiB records in 64 KiB batches: MB/s against the buffered-disk ceiling
//       (issue 15's goal), and against loopback TCP; the broker's GC share and
//       GC pauses per 100 MB appended
//   b   100 B records in 16 KiB batches: records/s
//   b64 the same in 64 KiB batches (per-batch against per-record cost)
// Run alone: npx tsx bench/throughput/produce.ts [--quick] [--only a]
import { KiB, isMain, main, produceScenario, rangeOf, row, type Context, type ProduceResult, type Scenario } from './common.js';

const cpuOf = (r: ProduceResult) => r.rates.cpu;
const errorsOf = (r: ProduceResult) => (r.errors ? ` [${r.errors} ERRORS]` : '');

async function a(ctx: Context): Promise<void> {
  const loopback = await ctx.ceilings.measureLoopback();
  const buffered = await ctx.ceilings.measureDisk(0);
  const depth = ctx.opts.produceDepth ?? 16;
  const r = await produceScenario(ctx, { name: 'a', sets: [], partitions: 4, connections: 4, depth, valueBytes: 1 * KiB, batchBytes: 64 * KiB, acks: 1 });
  const s = r.rates.series;
  const ratio = r.mbps / buffered;
  row(ctx, 'a', {
    title: `(a) produce acks=1, 1 KiB rec, 64 KiB batch; 4 conn x ${depth} in flight, 4 part${errorsOf(r)}`,
    figure: 'MB/s',
    value: r.mbps,
    range: rangeOf(s.bytes!.map((x) => x / 1e6)),
    ceiling: buffered,
    ceilingName: 'buffered disk',
    ratio,
    goal: '>= 80% buffered disk',
    met: ratio >= 0.8,
    cpu: cpuOf(r),
    counters: r.rates.counters,
  });
  row(ctx, 'a', { figure: 'MB/s vs loopback', value: r.mbps, ceiling: loopback, ceilingName: 'loopback' });
  row(ctx, 'a', { figure: 'batches/s', value: r.requestsPerSec });
  const gc = r.rates.counters?.gcShare;
  if (gc !== undefined) row(ctx, 'a', { figure: 'broker GC, % of wall time', value: gc * 100, goal: '< 5%', met: gc < 0.05 });
  // Pauses per 100 MB appended: the allocation-driven part of the GC cost, which a busy machine does not inflate as it does pause time.
  const c = r.rates.counters;
  if (c && c.bytesWrittenPerSec > 0) row(ctx, 'a', { figure: 'broker GC pauses per 100 MB', value: (c.gcPausesPerSec / c.bytesWrittenPerSec) * 1e8 });
}

async function b(ctx: Context, id: 'b' | 'b64'): Promise<void> {
  const depth = ctx.opts.produceDepth ?? (id === 'b' ? 32 : 16);
  const batchBytes = id === 'b' ? 16 * KiB : 64 * KiB;
  const r = await produceScenario(ctx, { name: id, sets: [], partitions: 4, connections: 4, depth, valueBytes: 100, batchBytes, acks: 1 });
  row(ctx, id, {
    title: `(${id}) produce acks=1, 100 B rec, ${batchBytes / KiB} KiB batch (${r.records} rec); 4 conn x ${depth}, 4 part${errorsOf(r)}`,
    figure: 'records/s',
    value: r.recordsPerSec,
    range: rangeOf(r.rates.series.records!),
    goal: id === 'b' ? '>= 1,000,000 rec/s (issue 3)' : '(>= 1,000,000 rec/s)',
    met: r.recordsPerSec >= 1e6,
    cpu: cpuOf(r),
    counters: r.rates.counters,
  });
  row(ctx, id, { figure: 'batches/s', value: r.requestsPerSec });
  row(ctx, id, { figure: 'MB/s', value: r.mbps });
}

export const scenarios: Scenario[] = [
  { id: 'a', run: a },
  { id: 'b', run: (ctx) => b(ctx, 'b') },
  { id: 'b64', run: (ctx) => b(ctx, 'b64') },
];

if (isMain(import.meta.url)) main('bench/throughput/produce', scenarios);
