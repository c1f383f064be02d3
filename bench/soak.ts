// bench/soak: a bounded soak of issue 7. The real CLI broker in a child process
// on a temp data dir; in this process a mixed kafkajs load: producers (two
// idempotent with acks=-1, one acks=1, one plain acks=-1) on several topics with
// small segments and retention so segments roll and are deleted, consumer groups
// whose members join and leave every few seconds, and admin calls (create and
// delete topics, describe groups, list offsets). The broker's RSS and open fds
// are sampled from /proc; the table of samples ends with a verdict: the median
// RSS of the last quarter against the median of the second quarter (after
// warm-up). Warm-up includes filling the storage tail caches (8 MiB per
// partition, 12 partitions here), which at this load takes about 3 minutes:
// shorter runs than the default measure that, not a leak. Nothing is asserted; it stops by itself and kills the broker on any
// exit path.
//
// Run: npx tsx bench/soak.ts [--minutes 10]
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import { ChildBroker, prng, sleep } from '../test/durability/helpers.js';
import { rssOf } from '../compat-tests/support/pipelining-attack.js';
import { median, printTable, fmt } from './stats.js';

const { values: argv } = parseArgs({ options: { minutes: { type: 'string' } } });
const MINUTES = Number(argv.minutes ?? 10);
if (!(MINUTES > 0)) throw new Error(`--minutes must be a positive number, got ${argv.minutes}`);
const DURATION_MS = MINUTES * 60_000;
// About 60 samples whatever the length, never closer than 2 s.
const SAMPLE_MS = Math.max(2_000, Math.round(DURATION_MS / 60));
const TOPICS = ['soak-a', 'soak-b', 'soak-c', 'soak-d'];
const PARTITIONS = 3;
const GROUPS = ['soak-g1', 'soak-g2'];
const MB = 1024 * 1024;
const rand = prng(7);

const dir = await mkdtemp(join(tmpdir(), 'kafkalite-soak-'));
const broker = await ChildBroker.start({ dataDir: dir, startTimeoutMs: 120_000, set: { 'log.retention.check.interval.ms': '5000' } });
const pid = broker.proc.pid!;
// Whatever happens to this process, the broker does not outlive it.
const killBroker = () => {
  if (broker.proc.exitCode === null && broker.proc.signalCode === null) broker.proc.kill('SIGKILL');
};
process.once('exit', killBroker);
let running = true;
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => (running = false));

const kafka = new Kafka({ brokers: [`${broker.host}:${broker.port}`], clientId: 'soak', logLevel: logLevel.NOTHING });
const stats = { produced: 0, consumed: 0, joins: 0, leaves: 0, adminCalls: 0, errors: 0, lastError: '' };
const fail = (e: unknown) => {
  stats.errors++;
  stats.lastError = e instanceof Error ? e.message : String(e);
};
const fdsOf = (p: number) => readdirSync(`/proc/${p}/fd`).length;
/** Sleeps up to `ms`, waking early once the soak is over. */
const pause = async (ms: number) => {
  const end = Date.now() + ms;
  while (running && Date.now() < end) await sleep(Math.min(250, end - Date.now()));
};

// --- samples of the broker's RSS and fds -----------------------------------------
interface Sample {
  t: number;
  rss: number;
  fds: number;
  produced: number;
  consumed: number;
}
const samples: Sample[] = [];
let t0 = Date.now();
const take = () => {
  // The broker may already be gone when a failure ends the run early.
  if (broker.proc.exitCode !== null || broker.proc.signalCode !== null) return;
  samples.push({ t: (Date.now() - t0) / 1000, rss: rssOf(pid), fds: fdsOf(pid), produced: stats.produced, consumed: stats.consumed });
};

async function soak(): Promise<void> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: TOPICS.map((topic) => ({
      topic,
      numPartitions: PARTITIONS,
      configEntries: [
        { name: 'segment.bytes', value: String(1024 * 1024) },
        { name: 'retention.bytes', value: String(3 * 1024 * 1024) },
      ],
    })),
  });

  // --- producers -------------------------------------------------------------
  const value = Buffer.alloc(200, 'x');
  async function produceLoop(p: Producer, acks: number): Promise<void> {
    while (running) {
      const topic = TOPICS[Math.floor(rand() * TOPICS.length)]!;
      try {
        await p.send({ topic, acks, messages: Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value })) });
        stats.produced += 20;
      } catch (e) {
        fail(e);
      }
      await sleep(20);
    }
  }
  const producerSpecs = [
    { idempotent: true, acks: -1 },
    { idempotent: true, acks: -1 },
    { idempotent: false, acks: 1 },
    { idempotent: false, acks: -1 },
  ];
  const producers: Producer[] = [];
  for (const s of producerSpecs) {
    const p = kafka.producer({ idempotent: s.idempotent, maxInFlightRequests: s.idempotent ? 1 : undefined, allowAutoTopicCreation: false });
    await p.connect();
    producers.push(p);
  }

  // --- consumers: one steady member per group, plus members that come and go ---
  async function startConsumer(groupId: string): Promise<Consumer> {
    const c = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000, retry: { retries: 10 } });
    await c.connect();
    await c.subscribe({ topics: TOPICS, fromBeginning: false });
    await c.run({
      eachBatch: async ({ batch }) => {
        stats.consumed += batch.messages.length;
      },
    });
    stats.joins++;
    return c;
  }
  async function churnLoop(groupId: string): Promise<void> {
    while (running) {
      try {
        const c = await startConsumer(groupId);
        await pause(3_000 + rand() * 4_000);
        await c.disconnect();
        stats.leaves++;
      } catch (e) {
        fail(e);
      }
      await pause(1_000);
    }
  }
  const steady: Consumer[] = [];
  for (const g of GROUPS) steady.push(await startConsumer(g));

  // --- admin: a topic created and deleted, groups described, offsets listed ---
  async function adminLoop(): Promise<void> {
    for (let n = 0; running; n++) {
      try {
        const tmp = `soak-tmp-${n}`;
        await admin.createTopics({ topics: [{ topic: tmp, numPartitions: 2 }], waitForLeaders: true });
        await admin.describeGroups(GROUPS);
        await admin.fetchTopicOffsets(TOPICS[n % TOPICS.length]!);
        await admin.fetchOffsets({ groupId: GROUPS[n % GROUPS.length]!, topics: TOPICS });
        await admin.deleteTopics({ topics: [tmp] });
        stats.adminCalls += 5;
      } catch (e) {
        fail(e);
      }
      await pause(2_000);
    }
  }

  // --- the run ------------------------------------------------------------------
  t0 = Date.now();
  take();
  const sampler = setInterval(take, SAMPLE_MS);
  const stopTimer = setTimeout(() => {
    running = false;
    // Samples cover the load only, not the clients' shutdown.
    clearInterval(sampler);
    take();
  }, DURATION_MS);
  process.stdout.write(`soak: ${MINUTES} min, broker pid ${pid}, sample every ${SAMPLE_MS / 1000} s\n`);

  const loops = [
    ...producers.map((p, i) => produceLoop(p, producerSpecs[i]!.acks)),
    ...GROUPS.map((g) => churnLoop(g)),
    adminLoop(),
  ];
  try {
    await Promise.all(loops);
  } finally {
    clearInterval(sampler);
    clearTimeout(stopTimer);
    running = false;
    await Promise.allSettled([...producers.map((p) => p.disconnect()), ...steady.map((c) => c.disconnect()), admin.disconnect()]);
  }
}

try {
  await soak();
} finally {
  running = false;
  await broker.stop();
  await rm(dir, { recursive: true, force: true });
}

// --- report -----------------------------------------------------------------
printTable(
  `bench/soak: ${MINUTES} min; 4 producers (2 idempotent acks=-1, acks=1, acks=-1) on ${TOPICS.length} topics x ${PARTITIONS} partitions, ${GROUPS.length} groups with churn, admin calls every 2 s; each group consumes every record`,
  ['t s', 'RSS MiB', 'fds', 'produced', 'consumed'],
  samples.map((s) => [s.t.toFixed(0), fmt(s.rss / MB), String(s.fds), String(s.produced), String(s.consumed)]),
);
const q = Math.floor(samples.length / 4);
const second = samples.slice(q, 2 * q).map((s) => s.rss);
const last = samples.slice(samples.length - q).map((s) => s.rss);
const ratio = median(last) / median(second);
printTable('verdict: RSS after warm-up (median of the last quarter / median of the second quarter)', ['2nd quarter MiB', 'last quarter MiB', 'ratio', 'max fds', 'joins', 'leaves', 'admin calls', 'errors'], [
  [fmt(median(second) / MB), fmt(median(last) / MB), `${fmt(ratio)}x`, String(Math.max(...samples.map((s) => s.fds))), String(stats.joins), String(stats.leaves), String(stats.adminCalls), String(stats.errors)],
]);
if (stats.errors > 0) process.stdout.write(`last error: ${stats.lastError}\n`);
