// The embedded broker child (startEmbeddedChild): startBroker() on --data-dir with
// --config JSON and a pino logger at info level into an in-process sink that
// forwards the lines the rebalance benches measure with. Prints JSON lines:
// {ev:'replay', records, ms} (from the broker's 'group coordinator state loaded from
// __consumer_offsets' line: records read and ms of the whole replay),
// {ev:'listening', port, startBrokerMs, startBrokerCpuMs, sinceProcessStartMs},
// {ev:'log', line} for warnings and errors, and at SIGTERM (clean close)
// {ev:'rebalances', list} then {ev:'stopped', closeMs}. With --clean-before-stop a
// cleaning round runs on every __consumer_offsets partition before the close.
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { startBroker } from '../../broker/broker.js';

const { values: argv } = parseArgs({ options: { 'data-dir': { type: 'string' }, config: { type: 'string' }, 'clean-before-stop': { type: 'boolean' } } });

async function main(): Promise<void> {
  const config = JSON.parse(argv.config ?? '{}') as Record<string, string>;
  const emit = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
  // Rebalance summaries are kept here and sent once, at stop: a pipe write per
  // rebalance would be measurable next to a 1-member rebalance.
  const rebalances: object[] = [];
  // Filled by the sink when the broker logs its replay line.
  const replay = { records: 0, ms: NaN, seen: false };
  // Lines are serialized by pino as in a real broker at info level; only a few are kept.
  const sink = {
    write(line: string): void {
      if (line.includes('"group rebalance completed"')) {
        const o = JSON.parse(line) as { groupId: string; memberCount: number; pausedMs: number; outcome: string };
        rebalances.push({ groupId: o.groupId, members: o.memberCount, pausedMs: o.pausedMs, outcome: o.outcome });
      } else if (line.includes('"group coordinator state loaded from __consumer_offsets"')) {
        const o = JSON.parse(line) as { records: number; ms: number };
        Object.assign(replay, { records: o.records, ms: o.ms, seen: true });
      } else if (line.includes('"level":40') || line.includes('"level":50') || line.includes('"level":60')) {
        emit({ ev: 'log', line: line.trim().slice(0, 500) });
      }
    },
  };
  const logger = pino({ level: 'info' }, sink);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const broker = await startBroker({ config, dataDir: argv['data-dir'], logger, host: '127.0.0.1', port: 0, requestLogSize: 0 });
  const cpu = process.cpuUsage(cpu0);
  if (replay.seen) emit({ ev: 'replay', records: replay.records, ms: replay.ms });
  emit({ ev: 'listening', port: broker.port, startBrokerMs: performance.now() - t0, startBrokerCpuMs: (cpu.user + cpu.system) / 1000, sinceProcessStartMs: performance.now() });
  let stopping = false;
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    const c0 = performance.now();
    const offsets = broker.cluster.topic('__consumer_offsets');
    const cleaned = argv['clean-before-stop'] && offsets ? Promise.all(offsets.partitions.map((p) => broker.cleaner.clean('__consumer_offsets', p.index))) : Promise.resolve();
    cleaned.then(() => broker.close()).then(
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
