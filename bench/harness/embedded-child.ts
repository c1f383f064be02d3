// The embedded broker child (startEmbeddedChild): startBroker() on --data-dir with
// --config JSON and a pino logger at info level into an in-process sink that
// forwards the lines the rebalance benches measure with. Prints JSON lines:
// {ev:'replay', records, ms} (the records every 'group coordinator shard loaded' line
// counted, and ms from the startBroker() call to the last of them: an upper bound on
// the __consumer_offsets replay, as the lines carry no time of their own),
// {ev:'listening', port, startBrokerMs, sinceProcessStartMs},
// {ev:'log', line} for warnings and errors, and at SIGTERM (clean close)
// {ev:'rebalances', list} then {ev:'stopped', closeMs}.
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { startBroker } from '../../broker/broker.js';

const { values: argv } = parseArgs({ options: { 'data-dir': { type: 'string' }, config: { type: 'string' } } });

async function main(): Promise<void> {
  const config = JSON.parse(argv.config ?? '{}') as Record<string, string>;
  const emit = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
  // Rebalance summaries are kept here and sent once, at stop: a pipe write per
  // rebalance would be measurable next to a 1-member rebalance.
  const rebalances: object[] = [];
  const replay = { shards: 0, records: 0, lastMs: 0 };
  let t0 = 0;
  // Lines are serialized by pino as in a real broker at info level; only a few are kept.
  const sink = {
    write(line: string): void {
      if (line.includes('"group rebalance completed"')) {
        const o = JSON.parse(line) as { groupId: string; memberCount: number; pausedMs: number; outcome: string };
        rebalances.push({ groupId: o.groupId, members: o.memberCount, pausedMs: o.pausedMs, outcome: o.outcome });
      } else if (line.includes('"group coordinator shard loaded"')) {
        replay.shards++;
        replay.records += (JSON.parse(line) as { records: number }).records;
        replay.lastMs = performance.now() - t0;
      } else if (line.includes('"level":40') || line.includes('"level":50') || line.includes('"level":60')) {
        emit({ ev: 'log', line: line.trim().slice(0, 500) });
      }
    },
  };
  const logger = pino({ level: 'info' }, sink);
  t0 = performance.now();
  const broker = await startBroker({ config, dataDir: argv['data-dir'], logger, host: '127.0.0.1', port: 0, requestLogSize: 0 });
  if (replay.shards > 0) emit({ ev: 'replay', records: replay.records, ms: replay.lastMs });
  emit({ ev: 'listening', port: broker.port, startBrokerMs: performance.now() - t0, sinceProcessStartMs: performance.now() });
  let stopping = false;
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    const c0 = performance.now();
    broker.close().then(
      () => {
        const closeMs = performance.now() - c0;
        emit({ ev: 'rebalances', list: rebalances });
        emit({ ev: 'stopped', closeMs });
        process.exit(0);
      },
      (err: unknown) => {
        emit({ ev: 'log', line: `close failed: ${(err as Error).message}` });
        process.exit(1);
      },
    );
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`broker child failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
