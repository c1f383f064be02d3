// Issue 7, item 5: requests fully received before the peer closes are handled.
// A raw client pipelines 300 acks=0 Produce requests (100 records each) and
// closes (or half-closes) at once; every record must be stored, as Kafka handles
// everything it read before the close. Counted with kafkajs.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { connect, type Socket } from 'node:net';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { startBroker, type RunningBroker } from './broker.js';
import { RawClient } from '../test/support/raw-client.js';
import { uniqueTopic } from '../compat-tests/support/broker.js';
import { ProduceApi } from '../protocol/messages/00-produce.js';
import { buildRecordBatchSync } from '../protocol/record-batch.js';

const REQUESTS = 300;
const RECORDS_PER_REQUEST = 100;

let broker: RunningBroker;
let admin: Admin;

beforeAll(async () => {
  broker = await startBroker();
  admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
});
afterAll(async () => {
  await admin.disconnect();
  await broker.close();
});

/** All the produce frames, encoded up front so they leave in one burst. */
function produceFrames(encoder: RawClient, topic: string): Buffer {
  const frames: Buffer[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const records = Array.from({ length: RECORDS_PER_REQUEST }, (_, k) => ({ value: Buffer.from(`r-${i}-${k}`), timestamp: Date.now() }));
    frames.push(
      encoder.encode(ProduceApi, 9, {
        transactionalId: null,
        acks: 0,
        timeoutMs: 30_000,
        topicData: [{ name: topic, partitionData: [{ index: 0, records: buildRecordBatchSync({ records }) }] }],
      }),
    );
  }
  return Buffer.concat(frames);
}

/** Resolves once the server has closed its side too. */
function sendThen(bytes: Buffer, how: 'close' | 'half-close'): Promise<void> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect({ host: broker.host, port: broker.port, allowHalfOpen: how === 'half-close' }, () => {
      // end() sends FIN once every byte has left; a full close then drops the socket at once.
      s.end(bytes, () => {
        if (how === 'close') s.destroy();
      });
    });
    s.on('error', reject);
    s.on('data', () => reject(new Error('acks=0 produce must not be answered')));
    s.on('close', () => resolve());
    if (how === 'half-close') s.on('end', () => s.destroy());
  });
}

async function storedRecords(topic: string): Promise<number> {
  const [p] = await admin.fetchTopicOffsets(topic);
  return Number(p.high);
}

/** Waits (on the log's high-watermark event) until `expected` records are stored, or 20 s; returns what is stored then. */
async function awaitStored(topic: string, expected: number): Promise<number> {
  const log = broker.logs.log(topic, 0)!;
  if (log.highWatermark < expected) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, 20_000);
      const off = log.onHighWatermark((hw) => {
        if (hw >= expected) done();
      });
      function done(): void {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  }
  return storedRecords(topic);
}

describe('issue 7: requests received before the peer closes are handled', () => {
  for (const how of ['close', 'half-close'] as const) {
    it(`stores all ${REQUESTS} acks=0 produce requests sent right before a ${how}`, async () => {
      const topic = uniqueTopic('peer-close');
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
      const encoder = await RawClient.connect(broker.host, broker.port);
      const bytes = produceFrames(encoder, topic);
      encoder.close();
      await sendThen(bytes, how);
      expect(await awaitStored(topic, REQUESTS * RECORDS_PER_REQUEST)).toBe(REQUESTS * RECORDS_PER_REQUEST);
    });
  }
});
