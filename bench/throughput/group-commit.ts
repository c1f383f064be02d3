// bench/throughput/group-commit: produce acks=-1 with log.flush.mode=group-commit,
// 64 producers = 64 connections with one request in flight each, 1 KiB records,
// one partition (so all share one log's fsync): MB/s against the
// fdatasync-every-1-MiB ceiling; fsyncs/s from the broker's own counter
// (kafkalite_log_fsyncs_total on its /metrics) next to batches acked/s.
//   c   16 KiB batches (1 MiB in flight), issue 15's goal
//   c64 64 KiB batches (4 MiB in flight)
// Run alone: npx tsx bench/throughput/group-commit.ts [--quick] [--only c]
import { KiB, MiB, isMain, main, produceScenario, rangeOf, row, type Context, type Scenario } from './common.js';

async function groupCommit(ctx: Context, id: 'c' | 'c64'): Promise<void> {
  const synced = await ctx.ceilings.measureDisk(MiB);
  const batchBytes = id === 'c' ? 16 * KiB : 64 * KiB;
  const r = await produceScenario(ctx, { name: id, sets: ['log.flush.mode=group-commit'], partitions: 1, connections: 64, depth: 1, valueBytes: 1 * KiB, batchBytes, acks: -1 });
  const ratio = r.mbps / synced;
  row(ctx, id, {
    title: `${id === 'c' ? '(c) produce acks=-1 group-commit, 64 conn x 1 in flight, 16 KiB batch, 1 part' : '(c64) same, 64 KiB batch'}${r.errors ? ` [${r.errors} ERRORS]` : ''}`,
    figure: 'MB/s',
    value: r.mbps,
    range: rangeOf(r.rates.series.bytes!.map((x) => x / 1e6)),
    ceiling: synced,
    ceilingName: 'fdatasync/1MiB',
    ratio,
    goal: id === 'c' ? '>= 90% fdatasync/1MiB' : '(>= 90%)',
    met: ratio >= 0.9,
    cpu: r.rates.cpu,
    counters: r.rates.counters,
  });
  row(ctx, id, { figure: 'batches acked/s', value: r.requestsPerSec, range: rangeOf(r.rates.series.requests!) });
  const c = r.rates.counters;
  if (c && c.fsyncsPerSec > 0) {
    row(ctx, id, { title: '(fsyncs: the broker\'s counter, whole window)', figure: 'fsyncs/s', value: c.fsyncsPerSec });
    row(ctx, id, { figure: 'batches per fsync', value: r.requestsPerSec / c.fsyncsPerSec });
    row(ctx, id, { figure: 'MB per fsync', value: r.mbps / c.fsyncsPerSec });
    row(ctx, id, { figure: 'file writes/s', value: c.fileWritesPerSec });
  } else row(ctx, id, { title: '(no fsync counter read from the broker)', figure: 'fsyncs/s', value: NaN });
}

export const scenarios: Scenario[] = [
  { id: 'c', run: (ctx) => groupCommit(ctx, 'c') },
  { id: 'c64', run: (ctx) => groupCommit(ctx, 'c64') },
];

if (isMain(import.meta.url)) main('bench/throughput/group-commit', scenarios);
