// bench/rebalance/commits: commit throughput. OffsetCommit v8 requests with 10
// partitions each, SIMPLE commits (generation -1, no member id) to 1,000 groups,
// pre-built frames pipelined over a few connections; also member commits from the
// 4 members of a Stable group (generation and member id checked); default flush
// mode and log.flush.mode=group-commit. Median of 1-second interval rates, and
// the broker's CPU per request.
// Run alone: npx tsx bench/rebalance/commits.ts [--quick]
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { RawClient } from '../../test/support/raw-client.js';
import { fmt } from '../stats.js';
import { awaitCoordinator, createTopic, measureRate } from '../raw-load.js';
import { Pipeline } from '../harness/pipeline.js';
import {
  COMMIT_PARTITIONS,
  COMMIT_TOPIC,
  CONNECTIONS,
  DEPTH,
  SECONDS,
  WARMUP,
  commitCheck,
  commitFrame,
  connectMany,
  cpuText,
  isMain,
  main,
  result,
  settle,
  simpleCommitFrames,
  startChild,
  type Context,
  type Member,
  type Scenario,
  type Window,
} from './common.js';

interface CommitResult {
  name: string;
  rate: number;
  min: number;
  max: number;
  errors: number;
  firstError: string;
  cpu: { broker: number; client: number };
  error?: string;
}

async function commitScenario(
  root: string,
  name: string,
  config: Record<string, string>,
  kind: 'simple' | 'member',
  connections: number,
  depth: number,
  windows: Window[],
): Promise<CommitResult> {
  const dataDir = await mkdtemp(join(root, `kafkalite-${name}-`));
  const broker = await startChild(name, dataDir, config);
  const result: CommitResult = { name, rate: NaN, min: NaN, max: NaN, errors: 0, firstError: '', cpu: { broker: NaN, client: NaN } };
  let members: Member[] = [];
  const pipes: Pipeline[] = [];
  try {
    await createTopic(broker.port, COMMIT_TOPIC, COMMIT_PARTITIONS);
    const encoder = await RawClient.connect('127.0.0.1', broker.port);
    if (kind === 'member') {
      await awaitCoordinator(broker.port, 'commit-members');
      members = await connectMany(broker.port, connections, 'commit-members');
      await settle(members);
    }
    for (let c = 0; c < connections; c++) {
      const frames =
        kind === 'simple'
          ? simpleCommitFrames(encoder, c, 250)
          : Array.from({ length: 250 }, (_, i) => commitFrame(encoder, 'commit-members', BigInt(1000 * (i + 1)), members[c]!));
      pipes.push(await Pipeline.open(broker.port, frames, { depth, check: commitCheck }));
    }
    encoder.close();
    for (const p of pipes) p.start();
    const m = await measureRate(pipes, broker.pid, SECONDS, WARMUP);
    windows.push({ label: name, child: broker, from: m.window[0], to: m.window[1] });
    Object.assign(result, { rate: m.rate, min: m.min, max: m.max, cpu: m.cpu });
  } catch (err) {
    result.error = (err as Error).message;
  } finally {
    await Promise.all(pipes.map((p) => p.stop()));
    for (const p of pipes) {
      result.errors += p.errors;
      result.firstError ||= p.firstError;
    }
    for (const m of members) m.client.close();
    await broker.stop();
    for (const p of broker.problems) process.stdout.write(`  broker (${broker.name}): ${p}\n`);
    await rm(dataDir, { recursive: true, force: true });
  }
  return result;
}

async function commits(ctx: Context): Promise<void> {
  const variants: [string, Record<string, string>, 'simple' | 'member', number, number][] = [
    ['commit-simple', {}, 'simple', CONNECTIONS, DEPTH],
    ['commit-member', {}, 'member', CONNECTIONS, DEPTH],
    ['commit-simple-groupcommit', { 'log.flush.mode': 'group-commit' }, 'simple', CONNECTIONS, DEPTH],
    ['commit-simple-groupcommit-64conn', { 'log.flush.mode': 'group-commit' }, 'simple', 64, 4],
  ];
  for (const [name, config, kind, conns, depth] of variants) {
    const r = await commitScenario(ctx.root, name, config, kind, conns, depth, ctx.windows);
    process.stdout.write(`  ${name}: ${fmt(r.rate)} req/s${r.error ? `, FAILED: ${r.error}` : ''} (${fmt((performance.now() - ctx.started) / 1000)} s)\n`);
    const mode = config['log.flush.mode'] ?? 'interval (default)';
    ctx.rows.push([
      `OffsetCommit x10 partitions, ${kind === 'simple' ? 'simple (gen -1, 1,000 groups)' : 'members of a Stable group'}, ${mode}, ${conns} conn x ${depth} (req/s)`,
      r.rate,
      `${fmt(r.min)}..${fmt(r.max)}`,
      '-',
      '-',
      r.errors || r.error ? `ERRORS ${r.errors} ${r.firstError} ${r.error ?? ''}` : 'ok',
      cpuText(r.cpu),
      `${fmt(r.rate * COMMIT_PARTITIONS)} offsets/s; broker CPU ${fmt((r.cpu.broker / 100 / r.rate) * 1e6)} µs/request`,
    ]);
    result(ctx, name, { title: `OffsetCommit x10, ${kind}, ${mode}, ${conns} conn x ${depth}`, figure: 'req/s', value: r.rate, range: [r.min, r.max], notes: r.error ?? (r.errors ? `ERRORS ${r.errors} ${r.firstError}` : undefined) });
  }
}

export const scenarios: Scenario[] = [{ id: 'commit', run: commits }];

if (isMain(import.meta.url)) main('bench/rebalance/commits', scenarios);
