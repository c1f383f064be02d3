// bench/rebalance/replay: start-up replay. 100,000 OffsetCommit requests x 10
// partitions = 1,000,000 commit records into a broker with a real data dir, clean
// stop (SIGTERM), then restarts: startBroker() until it returns (listening,
// coordinator loaded), the replay part from the broker's own 'group coordinator
// state loaded from __consumer_offsets' log line (records and ms), the records
// read, the data dir size, the CPU time of startBroker() (steadier than wall time on a
// shared machine); a committed offset is read back after the restart. By default the
// records sit in the active 100 MiB segments, which the cleaner never touches; with
// --replay-segment-bytes N the segments roll at N bytes and every partition is
// cleaned before the stop, so the restarts replay compacted logs.
// Run alone: npx tsx bench/rebalance/replay.ts [--quick] [--commits 100000] [--restarts 3] [--replay-segment-bytes N]
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { RawClient } from '../../test/support/raw-client.js';
import { OffsetFetchApi } from '../../protocol/messages/09-offset-fetch.js';
import { median, fmt } from '../stats.js';
import { createTopic } from '../raw-load.js';
import { Pipeline } from '../harness/pipeline.js';
import {
  COMMITS,
  COMMIT_GROUPS,
  COMMIT_PARTITIONS,
  COMMIT_TOPIC,
  CONNECTIONS,
  DEPTH,
  REPLAY_SEGMENT_BYTES,
  RESTARTS,
  commitCheck,
  dirBytes,
  isMain,
  main,
  monoMicros,
  result,
  simpleCommitFrames,
  startChild,
  type Context,
  type Scenario,
  type Window,
} from './common.js';

interface ReplayResult {
  requests: number;
  records: number;
  driveSeconds: number;
  driveRate: number;
  driveErrors: number;
  firstError: string;
  closeMs: number;
  dataBytes: number;
  offsetsBytes: number;
  restarts: { startBrokerMs: number; startBrokerCpuMs: number; sinceProcessStartMs: number; replayMs: number; replayRecords: number }[];
  readBack: string;
  error?: string;
}

async function replayScenario(root: string, windows: Window[]): Promise<ReplayResult> {
  const dataDir = await mkdtemp(join(root, 'kafkalite-replay-'));
  const result: ReplayResult = {
    requests: COMMITS,
    records: COMMITS * COMMIT_PARTITIONS,
    driveSeconds: NaN,
    driveRate: NaN,
    driveErrors: 0,
    firstError: '',
    closeMs: NaN,
    dataBytes: NaN,
    offsetsBytes: NaN,
    restarts: [],
    readBack: '',
  };
  try {
    const broker = await startChild('replay-load', dataDir, REPLAY_SEGMENT_BYTES !== undefined ? { 'offsets.topic.segment.bytes': REPLAY_SEGMENT_BYTES } : {}, false, REPLAY_SEGMENT_BYTES !== undefined);
    let pipes: Pipeline[] = [];
    try {
      await createTopic(broker.port, COMMIT_TOPIC, COMMIT_PARTITIONS);
      const encoder = await RawClient.connect('127.0.0.1', broker.port);
      const per = Math.ceil(COMMITS / CONNECTIONS);
      for (let c = 0; c < CONNECTIONS; c++) {
        const limit = Math.min(per, COMMITS - c * per);
        pipes.push(await Pipeline.open(broker.port, simpleCommitFrames(encoder, c, 250), { depth: DEPTH, limit, check: commitCheck }));
      }
      encoder.close();
      const w0 = monoMicros();
      const t0 = performance.now();
      for (const p of pipes) p.start();
      await Promise.all(pipes.map((p) => p.done()));
      result.driveSeconds = (performance.now() - t0) / 1000;
      windows.push({ label: 'replay-drive', child: broker, from: w0, to: monoMicros() });
      result.driveRate = COMMITS / result.driveSeconds;
      for (const p of pipes) {
        result.driveErrors += p.errors;
        result.firstError ||= p.firstError;
      }
      await Promise.all(pipes.map((p) => p.stop()));
      pipes = [];
    } finally {
      await Promise.all(pipes.map((p) => p.stop()));
      result.closeMs = await broker.stop();
      for (const p of broker.problems) process.stdout.write(`  broker (${broker.name}): ${p}\n`);
    }
    result.dataBytes = await dirBytes(dataDir);
    result.offsetsBytes = 0;
    for (const e of await readdir(dataDir)) if (e.startsWith('__consumer_offsets-')) result.offsetsBytes += await dirBytes(join(dataDir, e));

    for (let i = 0; i < RESTARTS; i++) {
      const b = await startChild(`replay-restart-${i}`, dataDir, {});
      try {
        result.restarts.push({
          startBrokerMs: b.startBrokerMs,
          startBrokerCpuMs: b.startBrokerCpuMs,
          sinceProcessStartMs: b.sinceProcessStartMs,
          replayMs: b.replay?.ms ?? NaN,
          replayRecords: b.replay?.records ?? 0,
        });
        if (i === 0) {
          // Read a group's offsets back: every partition must have a committed offset.
          const c = await RawClient.connect('127.0.0.1', b.port);
          const res = await c.request(OffsetFetchApi, 7, {
            groupId: 'commit-group-1',
            topics: [{ name: COMMIT_TOPIC, partitionIndexes: Array.from({ length: COMMIT_PARTITIONS }, (_, p) => p) }],
            requireStable: false,
          });
          c.close();
          const offs = res.topics[0]?.partitions.map((p) => p.committedOffset) ?? [];
          const ok = offs.length === COMMIT_PARTITIONS && offs.every((o) => o >= 0n);
          result.readBack = ok ? `ok (commit-group-1 p0 at ${offs[0]})` : `MISSING offsets after restart: ${offs.join(',')}`;
        }
      } finally {
        await b.stop();
        for (const p of b.problems) process.stdout.write(`  broker (${b.name}): ${p}\n`);
      }
    }
  } catch (err) {
    result.error = (err as Error).message;
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
  return result;
}

async function replay(ctx: Context): Promise<void> {
  const r = await replayScenario(ctx.root, ctx.windows);
  process.stdout.write(`  replay: drive ${fmt(r.driveSeconds)} s${r.error ? `, FAILED: ${r.error}` : ''} (${fmt((performance.now() - ctx.started) / 1000)} s)\n`);
  const med = (f: (x: ReplayResult['restarts'][number]) => number) => (r.restarts.length ? median(r.restarts.map(f)) : NaN);
  const spread = (f: (x: ReplayResult['restarts'][number]) => number) =>
    r.restarts.length ? `${fmt(Math.min(...r.restarts.map(f)))}..${fmt(Math.max(...r.restarts.map(f)))}` : '';
  ctx.rows.push([
    `drive ${fmt(r.records)} commit records (${fmt(r.requests)} OffsetCommit x10, ${CONNECTIONS} conn x ${DEPTH}) (req/s)`,
    r.driveRate,
    `${fmt(r.driveSeconds)} s`,
    '-',
    '-',
    r.driveErrors || r.error ? `ERRORS ${r.driveErrors} ${r.firstError} ${r.error ?? ''}` : 'ok',
    '',
    `clean stop ${fmt(r.closeMs)} ms`,
  ]);
  ctx.rows.push([`restart: startBroker() until listening, coordinator loaded (ms)`, med((x) => x.startBrokerMs), spread((x) => x.startBrokerMs), '-', '-', '-', '', `${r.restarts.length} restarts`]);
  ctx.rows.push([`restart: CPU time of that startBroker() (ms, user + system)`, med((x) => x.startBrokerCpuMs), spread((x) => x.startBrokerCpuMs), '-', '-', '-', '', 'steadier than wall time when the machine is shared']);
  ctx.rows.push([
    `restart: replay of __consumer_offsets (ms, broker's log line)`,
    med((x) => x.replayMs),
    spread((x) => x.replayMs),
    '-',
    '-',
    '-',
    '',
    `${fmt((med((x) => x.replayMs) * 1000) / med((x) => x.replayRecords))} µs/record; read back ${r.readBack}`,
  ]);
  ctx.rows.push([
    `restart: records replayed (of ${fmt(r.records)} commit records written)`,
    med((x) => x.replayRecords),
    '',
    '-',
    '-',
    '-',
    '',
    `records read; the latest of each of the ${COMMIT_GROUPS * COMMIT_PARTITIONS} live keys is applied${REPLAY_SEGMENT_BYTES ? ` (segments of ${REPLAY_SEGMENT_BYTES} bytes, cleaned before the stop)` : ''}`,
  ]);
  ctx.rows.push([`restart: process spawn to listening (ms, incl. node + tsx)`, med((x) => x.sinceProcessStartMs), spread((x) => x.sinceProcessStartMs), '-', '-', '-', '', '']);
  ctx.rows.push([`data dir size after ${fmt(r.records)} commit records (MB)`, r.dataBytes / 1e6, `__consumer_offsets ${fmt(r.offsetsBytes / 1e6)} MB`, '-', '-', '-', '', '']);
  const replayMs = med((x) => x.replayMs);
  result(ctx, 'replay', {
    title: `__consumer_offsets replay after ${fmt(r.records)} commit records${r.error ? ` (FAILED: ${r.error})` : ''}`,
    figure: 'replay ms',
    value: replayMs,
    range: r.restarts.length ? [Math.min(...r.restarts.map((x) => x.replayMs)), Math.max(...r.restarts.map((x) => x.replayMs))] : undefined,
    goal: r.records >= 1_000_000 ? '< 500 ms' : '(< 500 ms at 1,000,000)',
    met: replayMs < 500,
  });
  result(ctx, 'replay', { figure: 'restart to listening ms', value: med((x) => x.startBrokerMs) });
  result(ctx, 'replay', { figure: 'startBroker() CPU ms', value: med((x) => x.startBrokerCpuMs) });
  result(ctx, 'replay', { figure: 'records replayed', value: med((x) => x.replayRecords) });
}

export const scenarios: Scenario[] = [{ id: 'replay', run: replay }];

if (isMain(import.meta.url)) main('bench/rebalance/replay', scenarios);
