// bench/startup: how fast the test double is there and clean again, and what it
// costs. Medians over many runs, printed as a table with the goals of issue 8:
//   - in-process startBroker() to ready (goal < 10 ms) and close()
//   - in-process startCluster({ nodes: 3 }) to ready (goal < 25 ms) and close()
//   - reset() of a broker holding topics, a group's offsets and records (goal < 5 ms)
//   - the CLI (dist/bin/kafkalite.js) from spawn to accepting connections, beside a
//     bare `node -e 0` spawned in the same run (goal: within 100 ms of it)
//   - idle RSS of the CLI broker (goal < 80 MB)
//   - heap after 100 start/stop cycles in one process (goal: no growth)
// Run: npm run build && npx tsx bench/startup.ts   (the CLI rows need dist/)
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, startCluster } from '../broker/broker.js';
import { OffsetCommitApi } from '../protocol/messages/08-offset-commit.js';
import { RawClient } from '../test/support/raw-client.js';
import { median, printTable } from './stats.js';

const RUNS = Number(process.env.STARTUP_RUNS ?? 30);
const CLI_RUNS = Number(process.env.STARTUP_CLI_RUNS ?? 10);
const CLI = fileURLToPath(new URL('../dist/bin/kafkalite.js', import.meta.url));

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

/** Call to ready, and close(), of an in-process broker or cluster; the first 3 runs warm up. */
async function inProcessStart(launch: () => Promise<{ close(): Promise<void> }>): Promise<{ start: number; close: number }> {
  const starts: number[] = [];
  const closes: number[] = [];
  for (let i = 0; i < RUNS + 3; i++) {
    let t = process.hrtime.bigint();
    const b = await launch();
    const started = ms(t);
    t = process.hrtime.bigint();
    await b.close();
    if (i >= 3) {
      starts.push(started);
      closes.push(ms(t));
    }
  }
  return { start: median(starts), close: median(closes) };
}

/** reset() of a broker that holds what a test leaves behind: topics with records, a group with offsets. */
async function resetTime(): Promise<number> {
  const broker = await startBroker();
  const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }, { topic: 'shipments' }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'orders', messages: [0, 1, 2].map((p) => ({ partition: p, value: `v${p}` })) });
    await producer.disconnect();
    await admin.disconnect();
    // A simple (member-less) commit: the group and its offsets exist without a 5 s kafkajs consumer round.
    const raw = await RawClient.connect(broker.host, broker.port);
    await raw.request(OffsetCommitApi, 2, {
      groupId: 'svc',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 1n }] }],
    });
    raw.close();
    const t = process.hrtime.bigint();
    await broker.reset();
    times.push(ms(t));
  }
  await broker.close();
  return median(times);
}

/** Spawn to exit of `node -e 0`: the floor any Node CLI starts from. */
async function bareNode(): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < CLI_RUNS; i++) {
    const t = process.hrtime.bigint();
    await new Promise<void>((resolve, reject) => spawn(process.execPath, ['-e', '0']).once('exit', () => resolve()).once('error', reject));
    times.push(ms(t));
  }
  return median(times);
}

/** Spawn of the CLI (in memory, free port) to its first accepted connection; and its RSS once idle. */
async function cli(): Promise<{ ready: number; rssMb: number }> {
  const times: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < CLI_RUNS; i++) {
    const t = process.hrtime.bigint();
    const child = spawn(process.execPath, [CLI, 'start', '--memory', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /listening on [^"]*:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`CLI exited with ${code}: ${out}`)));
    });
    await new Promise<void>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve();
      });
      s.once('error', reject);
    });
    times.push(ms(t));
    await new Promise((r) => setTimeout(r, 300)); // idle: let start-up garbage settle before reading RSS
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    rss.push(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  return { ready: median(times), rssMb: median(rss) };
}

async function heapGrowth(): Promise<{ before: number; after: number }> {
  const heap = () => {
    gc();
    gc();
    return process.memoryUsage().heapUsed / 1024 / 1024;
  };
  for (let i = 0; i < 10; i++) await (await startBroker()).close();
  const before = heap();
  for (let i = 0; i < 100; i++) await (await startBroker()).close();
  return { before, after: heap() };
}

const start = await inProcessStart(() => startBroker());
const cluster = await inProcessStart(() => startCluster({ nodes: 3 }));
const reset = await resetTime();
const heapMb = await heapGrowth();
const rows: (string | number)[][] = [
  ['startBroker() to ready', `${start.start.toFixed(2)} ms`, '< 10 ms', (start.start / 10).toFixed(2)],
  ['close()', `${start.close.toFixed(2)} ms`, '', ''],
  ['reset() (2 topics, records, offsets)', `${reset.toFixed(2)} ms`, '< 5 ms', (reset / 5).toFixed(2)],
  ['startCluster({ nodes: 3 }) to ready', `${cluster.start.toFixed(2)} ms`, '< 25 ms', (cluster.start / 25).toFixed(2)],
  ['close() of the cluster', `${cluster.close.toFixed(2)} ms`, '', ''],
  ['heap before 100 start/stop cycles', `${heapMb.before.toFixed(1)} MB`, '', ''],
  ['heap after 100 start/stop cycles', `${heapMb.after.toFixed(1)} MB`, 'no growth', (heapMb.after / heapMb.before).toFixed(2)],
];
if (existsSync(CLI)) {
  const floor = await bareNode();
  const c = await cli();
  rows.push(
    ['node -e 0 (floor, same run)', `${floor.toFixed(1)} ms`, '', ''],
    ['CLI spawn to accepting connections', `${c.ready.toFixed(1)} ms`, `< floor + 100 ms`, `${(c.ready - floor).toFixed(1)} ms over`],
    ['CLI idle RSS', `${c.rssMb.toFixed(1)} MB`, '< 80 MB', (c.rssMb / 80).toFixed(2)],
  );
} else {
  rows.push(['CLI rows', 'skipped: run `npm run build` first', '', '']);
}
printTable(`startup (medians; ${RUNS} in-process runs, ${CLI_RUNS} CLI runs; ratio = value / goal)`, ['what', 'median', 'goal', 'ratio'], rows);
