// bench/throughput/partitions: produce spread over 1,000 partitions against the
// same load on one partition, same run: acks=1, 1 KiB records in 16 KiB batches,
// 4 connections x 16 requests in flight; on 1,000 partitions each connection
// cycles over its 250 partitions, one batch per request. MB/s of each and the
// ratio (issue 15's goal: >= 70%).
// Run alone: npx tsx bench/throughput/partitions.ts [--quick]
import { KiB, isMain, main, produceScenario, rangeOf, row, type Context, type Scenario } from './common.js';

async function partitions(ctx: Context): Promise<void> {
  const spec = { sets: [], connections: 4, depth: 16, valueBytes: 1 * KiB, batchBytes: 16 * KiB, acks: 1 };
  const one = await produceScenario(ctx, { name: 'p1', partitions: 1, ...spec });
  const many = await produceScenario(ctx, { name: 'p1000', partitions: 1000, ...spec });
  const ratio = many.mbps / one.mbps;
  const errors = one.errors + many.errors;
  row(ctx, 'partitions', {
    title: `(p1000) produce acks=1, 1 KiB rec, 16 KiB batch, 4 conn x 16, over 1,000 partitions${errors ? ` [${errors} ERRORS]` : ''}`,
    figure: 'MB/s',
    value: many.mbps,
    range: rangeOf(many.rates.series.bytes!.map((x) => x / 1e6)),
    ceiling: one.mbps,
    ceilingName: 'one partition',
    ratio,
    goal: '>= 70% of one partition',
    met: ratio >= 0.7,
    cpu: many.rates.cpu,
    counters: many.rates.counters,
  });
  row(ctx, 'partitions', { title: '(the same load on one partition, same run)', figure: 'MB/s one part', value: one.mbps, range: rangeOf(one.rates.series.bytes!.map((x) => x / 1e6)), cpu: one.rates.cpu, counters: one.rates.counters });
}

export const scenarios: Scenario[] = [{ id: 'partitions', run: partitions }];

if (isMain(import.meta.url)) main('bench/throughput/partitions', scenarios);
