// The embedded broker child (startEmbeddedChild): startBroker() on --data-dir with
// --config JSON and a pino logger at info level into an in-process sink that
// forwards the lines the rebalance benches measure with. Prints JSON lines:
// {ev:'listening', port, startBrokerMs, sinceProcessStartMs}, {ev:'replay', records, ms},
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
  // Lines are serialized by pino as in a real broker at info level; only a few are kept.
  const sink = {
    write(line: string): void {
      if (line.includes('"group rebalance completed"')) {
        const o = JSON.parse(line) as { groupId: string; memberCount: number; pausedMs: number; outcome: string };
        rebalances.push({ groupId: o.groupId, members: o.memberCount, pausedMs: o.pausedMs, outcome: o.outcome });
      } else if (line.includes('state loaded from __consumer_offsets')) {
        const o = JSON.parse(line) as { records: number; ms: number };
        emit({ ev: 'replay', records: o.records, ms: o.ms });
      } else if (line.includes('"level":40') || line.includes('"level":50') || line.includes('"level":60')) {
        emit({ ev: 'log', line: line.trim().slice(0, 500) });
      }
    },
  };
  const logger = pino({ level: 'info' }, sink);
  const t0 = performance.now();
  const broker = await startBroker({ config, dataDir: argv['data-dir'], logger, host: '127.0.0.1', port: 0, requestLogSize: 0 });
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
