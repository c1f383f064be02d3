// bench/security: what TLS and SASL cost (issue 11), each next to its plaintext
// floor measured in the same run on the same broker (one in-process broker with a
// PLAINTEXT, an SSL and a SASL_SSL listener; the load generator shares its core, the
// same for both legs, so the ratio is what counts, not the absolute MB/s).
//   produce  acks=1, 64 KiB batches of 1 KiB records, 8 requests in flight: MB/s TLS vs plaintext (goal >= 60%)
//   fetch    1 MiB per fetch of what was produced, 4 in flight:             MB/s TLS vs plaintext (goal >= 60%)
//   connect  kafkajs admin connect (TCP [+TLS] + ApiVersions [+ SASL] + Metadata), median of 20:
//            SCRAM-SHA-256 over SASL_SSL vs plaintext
// Run: npx tsx bench/security.ts [--seconds 4]
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker } from '../broker/broker.js';
import { RawClient } from '../test/support/raw-client.js';
import { ProduceApi } from '../protocol/messages/00-produce.js';
import { FetchApi } from '../protocol/messages/01-fetch.js';
import { buildRecordBatchSync } from '../protocol/record-batch.js';
import { median, printTable } from './stats.js';

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '4' } } });
const SECONDS = Number(args.seconds);
const MiB = 1024 * 1024;
const SCRAM_JAAS = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';

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
const client = (name: string) =>
  name === 'SSL' ? RawClient.connectTls('127.0.0.1', port(name), { ca: broker.tls!.ca }) : RawClient.connect('127.0.0.1', port(name));

const value = randomBytes(1024);
const batch = buildRecordBatchSync({ records: Array.from({ length: 63 }, () => ({ value, timestamp: Date.now() })) });

/** Keeps `depth` requests in flight for SECONDS; returns MB/s of the bytes each `send` reports. */
async function drive(c: RawClient, depth: number, send: () => Promise<number>): Promise<number> {
  const end = Date.now() + SECONDS * 1000;
  let bytes = 0;
  const start = Date.now();
  await Promise.all(Array.from({ length: depth }, async () => {
    while (Date.now() < end) bytes += await send();
  }));
  return bytes / MiB / ((Date.now() - start) / 1000);
}

async function produce(listener: string, topic: string): Promise<number> {
  await broker.cluster.createTopic(broker.cluster.newTopic(topic, 1));
  const c = await client(listener);
  try {
    return await drive(c, 8, async () => {
      const res = await c.request(ProduceApi, 9, { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] });
      if (res.responses[0]!.partitionResponses[0]!.errorCode !== 0) throw new Error('produce failed');
      return batch.length;
    });
  } finally {
    c.close();
  }
}

async function fetch(listener: string, topic: string): Promise<number> {
  const c = await client(listener);
  try {
    return await drive(c, 4, async () => {
      const res = await c.request(FetchApi, 12, {
        replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 50 * MiB, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: MiB }] }],
        forgottenTopicsData: [], rackId: '',
      });
      const records = res.responses[0]!.partitions[0]!.records;
      if (!Buffer.isBuffer(records) || records.length === 0) throw new Error('empty fetch');
      return records.length;
    });
  } finally {
    c.close();
  }
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
  const plainProduce = await produce('PLAINTEXT', 'bench-plain');
  const tlsProduce = await produce('SSL', 'bench-tls');
  const plainFetch = await fetch('PLAINTEXT', 'bench-plain');
  const tlsFetch = await fetch('SSL', 'bench-plain');
  const kafka = (listener: string, extra: object) => new Kafka({ clientId: 'bench', brokers: [`localhost:${port(listener)}`], logLevel: logLevel.NOTHING, ...extra });
  const plainConnect = await connectMedian(kafka('PLAINTEXT', {}));
  const scramConnect = await connectMedian(kafka('SASL_SSL', { ssl: { ca: [broker.tls!.ca] }, sasl: { mechanism: 'scram-sha-256', username: 'bench', password: 'bench-secret' } }));
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  printTable(`bench/security: ${SECONDS} s per leg, in-process broker`, ['leg', 'figure', 'plaintext', 'secured', 'ratio', 'goal', 'met'], [
    ['produce 64 KiB batches, SSL', 'MB/s', plainProduce, tlsProduce, pct(tlsProduce / plainProduce), '>= 60%', tlsProduce / plainProduce >= 0.6 ? 'yes' : 'NO'],
    ['fetch 1 MiB, SSL', 'MB/s', plainFetch, tlsFetch, pct(tlsFetch / plainFetch), '>= 60%', tlsFetch / plainFetch >= 0.6 ? 'yes' : 'NO'],
    ['kafkajs connect, SCRAM-SHA-256 on SASL_SSL', 'median ms', plainConnect, scramConnect, `${(scramConnect / plainConnect).toFixed(1)}x`, '(reported)', ''],
  ]);
} finally {
  await broker.close();
}
