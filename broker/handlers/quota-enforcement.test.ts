// Issue 10: client quotas enforced over the wire as Kafka enforces them. The
// broker runs on a manual clock, so quota windows move only when the test moves
// them: throttle times and muting are checked exactly, without sleeping. Rates are
// measured over quota.window.num (11) windows of quota.window.size.seconds (1 s)
// and count as at least 10 whole windows, so a client may send its quota times
// 10 s before it is first throttled.
import { describe, it, expect, afterEach, vi } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../broker.js';
import { ManualClock } from '../clock.js';
import { RawClient } from '../../test/support/raw-client.js';
import { AlterClientQuotasApi } from '../../protocol/messages/49-alter-client-quotas.js';
import { ProduceApi, type ProduceResponse } from '../../protocol/messages/00-produce.js';
import { FetchApi } from '../../protocol/messages/01-fetch.js';
import { MetadataApi } from '../../protocol/messages/03-metadata.js';
import { ApiVersionsApi } from '../../protocol/messages/18-api-versions.js';
import { CreateTopicsApi } from '../../protocol/messages/19-create-topics.js';
import { buildRecordBatchSync } from '../../protocol/record-batch.js';
import { ErrorCode } from '../../protocol/errors.js';

/** Kafka's default quota windows: 11 samples of 1 s; a rate spans at least 10 of them. */
const MIN_SPAN_S = 10;

let broker: RunningBroker | undefined;
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await broker?.close();
  broker = undefined;
});

async function start(config: Record<string, string> = {}): Promise<{ broker: RunningBroker; clock: ManualClock }> {
  const clock = new ManualClock(Date.now());
  broker = await startBroker({ clock, config });
  return { broker, clock };
}

async function connect(b: RunningBroker, clientId?: string): Promise<RawClient> {
  const c = await RawClient.connect(b.host, b.port, clientId);
  clients.push(c);
  return c;
}

async function setQuota(c: RawClient, entity: Record<string, string | null>, key: string, value: number): Promise<void> {
  const res = await c.request(AlterClientQuotasApi, 1, {
    entries: [{ entity: Object.entries(entity).map(([entityType, entityName]) => ({ entityType, entityName })), ops: [{ key, value, remove: false }] }],
    validateOnly: false,
  });
  expect(res.entries[0].errorCode).toBe(ErrorCode.NONE);
}

async function createTopic(c: RawClient, name: string): Promise<void> {
  const res = await c.request(CreateTopicsApi, 7, { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  expect(res.topics[0].errorCode).toBe(ErrorCode.NONE);
}

function produceBody(topic: string, valueBytes: number) {
  const records = buildRecordBatchSync({ records: [{ timestamp: Date.now(), value: Buffer.alloc(valueBytes, 7) }] });
  return { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] };
}

describe('producer_byte_rate', () => {
  it('a raw producer over its rate gets Kafka\'s throttle time, and its connection reads nothing more until that time has passed', async () => {
    const { broker: b, clock } = await start();
    const admin = await connect(b);
    await createTopic(admin, 'limited');
    const rate = 1000;
    await setQuota(admin, { 'client-id': 'limited-producer' }, 'producer_byte_rate', rate);

    const producer = await connect(b, 'limited-producer');
    const body = produceBody('limited', 900);
    const frameBytes = producer.encode(ProduceApi, 9, body).length - 4;
    // Everything within quota x 10 s passes unthrottled; the request that crosses it is throttled.
    let sent = 0;
    let res: ProduceResponse;
    for (;;) {
      res = await producer.request(ProduceApi, 9, body);
      sent += frameBytes;
      expect(res.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE);
      if (sent > rate * MIN_SPAN_S) break;
      expect(res.throttleTimeMs).toBe(0);
    }
    // Kafka's QuotaUtils.throttleTime: (observed - quota) / quota * window.
    const observed = sent / MIN_SPAN_S;
    const expected = Math.round(((observed - rate) / rate) * MIN_SPAN_S * 1000);
    expect(res.throttleTimeMs).toBe(expected);
    expect(expected).toBeGreaterThan(0);

    // Muted: the next request is not read until the throttle time passes on the broker's clock.
    const next = producer.request(MetadataApi, 9, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    let answered = false;
    void next.then(() => (answered = true));
    await admin.request(ApiVersionsApi, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    expect(answered).toBe(false);
    // Another client is not throttled by this one's quota.
    const other = await connect(b);
    expect((await other.request(ProduceApi, 9, produceBody('limited', 10))).responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE);
    expect(answered).toBe(false);
    clock.advance(expected);
    await next;
  });

  it('a kafkajs producer over its rate is throttled and its bytes stay within the rate over the windows the clock moved', async () => {
    // Two windows (a rate spans at least one): kafkajs also waits out each throttle time itself, in real time,
    // and with one window of budget the throttles stay short.
    const { broker: b, clock } = await start({ 'quota.window.num': '2' });
    const admin = await connect(b);
    await createTopic(admin, 'bulk');
    const rate = 100_000;
    await setQuota(admin, { 'client-id': 'bulk-producer' }, 'producer_byte_rate', rate);

    // The test plays the passing time: each throttle moves the broker's clock by the throttle time.
    let advancedMs = 0;
    const throttles: number[] = [];
    let produceBytes = 0;
    let largest = 0;
    b.requests.onResponse((e) => {
      if (e.api !== 'Produce' || e.clientId !== 'bulk-producer') return;
      const t = (e.response as ProduceResponse).throttleTimeMs;
      if (t > 0) {
        throttles.push(t);
        advancedMs += t;
        setImmediate(() => clock.advance(t));
      }
    });
    b.requests.onRequest((e) => {
      if (e.api !== 'Produce' || e.clientId !== 'bulk-producer') return;
      const bytes = (e.request as { topicData: { partitionData: { records: Buffer | null }[] }[] }).topicData[0].partitionData[0].records?.length ?? 0;
      produceBytes += bytes;
      largest = Math.max(largest, bytes);
    });
    const kafka = new Kafka({ clientId: 'bulk-producer', brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      for (let i = 0; i < 200; i++) await producer.send({ topic: 'bulk', acks: 1, messages: [{ value: Buffer.alloc(1000, i % 256) }] });
    } finally {
      await producer.disconnect();
    }
    expect(throttles.length).toBeGreaterThan(0);
    // No more than the rate over the time that passed plus the retained windows (2 s), give or take one request.
    // (Record bytes are counted here; the broker counts whole requests, a little more, so this bound is looser than Kafka's.)
    expect(produceBytes).toBeLessThanOrEqual(rate * (advancedMs / 1000 + 2) + largest);
    // And the producer was not held back much below it: at least half the rate over the time that passed.
    expect(produceBytes).toBeGreaterThanOrEqual((rate * advancedMs) / 1000 / 2);
  });
});

describe('consumer_byte_rate', () => {
  it('caps a fetch to the quota\'s windows and answers the fetch that crosses it empty, with the throttle time', async () => {
    const { broker: b } = await start();
    const admin = await connect(b);
    await createTopic(admin, 'reads');
    for (let i = 0; i < 40; i++) await admin.request(ProduceApi, 9, produceBody('reads', 1000));
    const rate = 1000;
    await setQuota(admin, { 'client-id': 'reader' }, 'consumer_byte_rate', rate);

    const reader = await connect(b, 'reader');
    const fetch = (offset: bigint) =>
      reader.request(FetchApi, 11, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 50 * 1024 * 1024,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic: 'reads', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, logStartOffset: -1n, partitionMaxBytes: 50 * 1024 * 1024 }] }],
        forgottenTopicsData: [],
        rackId: '',
      });
    const first = await fetch(0n);
    expect(first.throttleTimeMs).toBe(0);
    const records = first.responses[0].partitions[0].records as Buffer;
    // Kafka caps max_bytes at quota x (samples - 1) x window: what fits without a certain throttle.
    expect(records.length).toBeGreaterThan(0);
    expect(records.length).toBeLessThanOrEqual(rate * MIN_SPAN_S);
    const nextOffset = BigInt(records.length > 0 ? countRecords(records) : 0);

    const second = await fetch(nextOffset);
    expect(second.throttleTimeMs).toBeGreaterThan(0);
    expect(second.responses).toEqual([]);
  });
});

describe('request_percentage', () => {
  it('a client over its share of handler time gets at most one window of throttle, on any API', async () => {
    const { broker: b, clock } = await start();
    const admin = await connect(b);
    await setQuota(admin, { user: 'ANONYMOUS', 'client-id': 'raw-client' }, 'request_percentage', 1e-9);
    const c = await connect(b);
    const res = await c.request(MetadataApi, 9, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    // Far over a tiny quota: Kafka bounds a request-time throttle to one quota window.
    expect(res.throttleTimeMs).toBe(1000);
    const next = c.request(ApiVersionsApi, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    clock.advance(1000);
    expect((await next).throttleTimeMs).toBe(1000);
  });
});

describe('connection_creation_rate', () => {
  it('a connection over its IP\'s rate is closed unserved after the throttle time', async () => {
    const { broker: b, clock } = await start();
    const admin = await connect(b);
    // admin's connection was counted before the quota existed.
    await setQuota(admin, { ip: '127.0.0.1' }, 'connection_creation_rate', 2);
    for (let i = 0; i < 2 * MIN_SPAN_S; i++) {
      const c = await connect(b);
      expect((await c.request(ApiVersionsApi, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' })).errorCode).toBe(ErrorCode.NONE);
    }
    const timers = clock.pendingTimers();
    const over = await connect(b);
    // The broker has taken the connection once its delayed close is scheduled.
    await vi.waitFor(() => expect(clock.pendingTimers()).toBe(timers + 1));
    const answer = over.request(ApiVersionsApi, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    answer.catch(() => undefined);
    // (21/10 - 2) / 2 x 10 s = 500 ms.
    clock.advance(500);
    await over.closed;
    await expect(answer).rejects.toThrow('connection closed');
  });
});

/** Records in the batches of a fetch answer (each batch's count at its fixed offset). */
function countRecords(batches: Buffer): number {
  let n = 0;
  for (let pos = 0; pos + 61 <= batches.length; ) {
    const length = batches.readInt32BE(pos + 8);
    n += batches.readInt32BE(pos + 57);
    pos += 12 + length;
  }
  return n;
}
