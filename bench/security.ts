// bench/security: what TLS and SASL cost (issue 11), each next to its plaintext
// floor measured in the same run on the same broker (one broker with a PLAINTEXT, an
// SSL and a SASL_SSL listener, in this process). The produce/fetch load generator runs
// in a CHILD process (this file with --load), so broker and client each have their own
// event loop and the client's TLS decryption does not count against the broker. Each
// data leg also reports the broker's CPU per MB moved (this process's CPU time over the
// leg, the load child excluded): on a shared, noisy machine the ratio of those is the
// steadier figure.
//   produce  acks=1, 64 KiB batches of 1 KiB records, 8 requests in flight: MB/s TLS vs plaintext (goal >= 60%)
//   fetch    1 MiB per fetch of what was produced, 4 in flight:             MB/s TLS vs plaintext (goal >= 60%)
//   connect  kafkajs admin connect (TCP [+TLS] + ApiVersions [+ SASL] + Metadata), median of 20:
//            SCRAM-SHA-256 over SASL_SSL vs plaintext
// Plaintext and TLS legs alternate for --rounds rounds; figures are the medians.
// Run: npx tsx bench/security.ts [--seconds 3] [--rounds 3] [--only data|connect]
// Profile the broker: node --cpu-prof --import tsx bench/security.ts --only data
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker } from '../broker/broker.js';
import { RawClient } from '../test/support/raw-client.js';
import { ProduceApi } from '../protocol/messages/00-produce.js';
import { FetchApi } from '../protocol/messages/01-fetch.js';
import { buildRecordBatchSync } from '../protocol/record-batch.js';
import { median, printTable } from './stats.js';

const { values: args } = parseArgs({
  options: { seconds: { type: 'string', default: '3' }, rounds: { type: 'string', default: '3' }, only: { type: 'string' }, load: { type: 'string' } },
});
const SECONDS = Number(args.seconds);
const ROUNDS = Number(args.rounds);
const MiB = 1024 * 1024;
const SCRAM_JAAS = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';

/** What the load child is asked to do. */
interface LoadJob {
  mode: 'produce' | 'fetch';
  port: number;
  /** The CA to trust: connect over TLS. */
  ca: string | null;
  topic: string;
  seconds: number;
}

if (args.load !== undefined) {
  const job = JSON.parse(args.load) as LoadJob;
  const c = job.ca === null ? await RawClient.connect('127.0.0.1', job.port) : await RawClient.connectTls('127.0.0.1', job.port, { ca: job.ca });
  const mbps = await (job.mode === 'produce' ? produceLoad : fetchLoad)(c, job.topic, job.seconds);
  c.close();
  process.send!({ mbps });
  process.disconnect();
} else {
  await main();
}

/** Keeps `depth` requests in flight for `seconds`; returns MB/s of the bytes each `send` reports. */
async function drive(seconds: number, depth: number, send: () => Promise<number>): Promise<number> {
  const end = Date.now() + seconds * 1000;
  let bytes = 0;
  const start = Date.now();
  await Promise.all(Array.from({ length: depth }, async () => {
    while (Date.now() < end) bytes += await send();
  }));
  return bytes / MiB / ((Date.now() - start) / 1000);
}

function produceLoad(c: RawClient, topic: string, seconds: number): Promise<number> {
  const value = randomBytes(1024);
  const batch = buildRecordBatchSync({ records: Array.from({ length: 63 }, () => ({ value, timestamp: Date.now() })) });
  return drive(seconds, 8, async () => {
    const res = await c.request(ProduceApi, 9, { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] });
    if (res.responses[0]!.partitionResponses[0]!.errorCode !== 0) throw new Error('produce failed');
    return batch.length;
  });
}

function fetchLoad(c: RawClient, topic: string, seconds: number): Promise<number> {
  return drive(seconds, 4, async () => {
    const res = await c.request(FetchApi, 12, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 50 * MiB, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: MiB }] }],
      forgottenTopicsData: [], rackId: '',
    });
    const records = res.responses[0]!.partitions[0]!.records;
    if (!Buffer.isBuffer(records) || records.length === 0) throw new Error('empty fetch');
    return records.length;
  });
}

async function main(): Promise<void> {
  const broker = await startBroker({
    tls: true,
    scramUsers: { bench: 'bench-secret' },
    config: {
      listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
      'sasl.enabled.mechanisms': 'SCRAM-SHA-256',
      'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config': SCRAM_JAAS,
    },
  });
  const port = (name: string) => broker.listeners.find((l) => l.name === name)!.port;

  /** One data leg in the load child: its MB/s, and the broker's CPU milliseconds per MB over the leg. */
  async function leg(mode: LoadJob['mode'], listener: string, topic: string): Promise<{ mbps: number; cpuMsPerMB: number }> {
    const job: LoadJob = { mode, port: port(listener), ca: listener === 'SSL' ? broker.tls!.ca : null, topic, seconds: SECONDS };
    const cpu = process.cpuUsage();
    const child = fork(fileURLToPath(import.meta.url), ['--load', JSON.stringify(job)], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
    const { mbps } = await new Promise<{ mbps: number }>((resolve, reject) => {
      child.once('message', (m) => resolve(m as { mbps: number }));
      child.once('exit', (code) => reject(new Error(`load child for ${mode} on ${listener} exited with ${code}`)));
    });
    const used = process.cpuUsage(cpu);
    // The child's own start-up costs this process next to nothing; the MB are those of its SECONDS of load.
    const mb = mbps * SECONDS;
    return { mbps, cpuMsPerMB: (used.user + used.system) / 1000 / mb };
  }

  async function connectMedian(kafka: Kafka): Promise<number> {
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const admin = kafka.admin();
      const t = process.hrtime.bigint();
      await admin.connect();
      await admin.describeCluster();
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
      await admin.disconnect();
    }
    return median(times);
  }

  try {
    const rows: (string | number)[][] = [];
    const pct = (x: number) => `${Math.round(x * 100)}%`;
    if (args.only === undefined || args.only === 'data') {
      await broker.cluster.createTopic(broker.cluster.newTopic('bench-plain', 1));
      await broker.cluster.createTopic(broker.cluster.newTopic('bench-tls', 1));
      // Plaintext and TLS legs alternate, ROUNDS times; each figure is the median of its rounds.
      const runs: Record<'plainProduce' | 'tlsProduce' | 'plainFetch' | 'tlsFetch', { mbps: number; cpuMsPerMB: number }[]> = { plainProduce: [], tlsProduce: [], plainFetch: [], tlsFetch: [] };
      for (let r = 0; r < ROUNDS; r++) {
        runs.plainProduce.push(await leg('produce', 'PLAINTEXT', 'bench-plain'));
        runs.tlsProduce.push(await leg('produce', 'SSL', 'bench-tls'));
        runs.plainFetch.push(await leg('fetch', 'PLAINTEXT', 'bench-plain'));
        runs.tlsFetch.push(await leg('fetch', 'SSL', 'bench-plain'));
      }
      const med = (xs: { mbps: number; cpuMsPerMB: number }[]) => ({ mbps: median(xs.map((x) => x.mbps)), cpuMsPerMB: median(xs.map((x) => x.cpuMsPerMB)) });
      const [plainProduce, tlsProduce, plainFetch, tlsFetch] = [runs.plainProduce, runs.tlsProduce, runs.plainFetch, runs.tlsFetch].map(med);
      for (const [name, plain, tls] of [['produce 64 KiB batches, SSL', plainProduce!, tlsProduce!], ['fetch 1 MiB, SSL', plainFetch!, tlsFetch!]] as const) {
        const ratio = tls.mbps / plain.mbps;
        rows.push([name, 'MB/s', plain.mbps, tls.mbps, pct(ratio), '>= 60%', ratio >= 0.6 ? 'yes' : 'NO']);
        rows.push(['  broker CPU per MB', 'ms/MB', plain.cpuMsPerMB, tls.cpuMsPerMB, pct(plain.cpuMsPerMB / tls.cpuMsPerMB), '(reported)', '']);
      }
    }
    if (args.only === undefined || args.only === 'connect') {
      const kafka = (listener: string, extra: object) => new Kafka({ clientId: 'bench', brokers: [`localhost:${port(listener)}`], logLevel: logLevel.NOTHING, ...extra });
      const plainConnect = await connectMedian(kafka('PLAINTEXT', {}));
      const scramConnect = await connectMedian(kafka('SASL_SSL', { ssl: { ca: [broker.tls!.ca] }, sasl: { mechanism: 'scram-sha-256', username: 'bench', password: 'bench-secret' } }));
      rows.push(['kafkajs connect, SCRAM-SHA-256 on SASL_SSL', 'median ms', plainConnect, scramConnect, `${(scramConnect / plainConnect).toFixed(1)}x`, '(reported)', '']);
    }
    printTable(`bench/security: ${SECONDS} s per leg, median of ${ROUNDS} rounds, broker in this process, load generator in a child`, ['leg', 'figure', 'plaintext', 'secured', 'ratio', 'goal', 'met'], rows);
  } finally {
    await broker.close();
  }
}
