// Issue 10: topic configs Kafka 3.x deprecated but still accepts, accepted with
// Kafka 3.9's meaning, over real TCP with kafkajs: a Kafka 3.x application can
// create its topics, DescribeConfigs lists them, and the timestamp difference is
// enforced as Kafka 3.6-3.9 enforce it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import pino from 'pino';
import { startBroker, type RunningBroker } from '../broker.js';
import { RawClient } from '../../test/support/raw-client.js';
import { ProduceApi } from '../../protocol/messages/00-produce.js';
import { buildRecordBatch } from '../../protocol/record-batch.js';
import { ErrorCode } from '../../protocol/errors.js';

let broker: RunningBroker;
let admin: Admin;
let client: RawClient;

beforeAll(async () => {
  broker = await startBroker();
  admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  await admin.connect();
  client = await RawClient.connect(broker.host, broker.port);
});
afterAll(async () => {
  client.close();
  await admin.disconnect();
  await broker.close();
});

async function describeTopic(topic: string) {
  const res = await admin.describeConfigs({ resources: [{ type: 2, name: topic }], includeSynonyms: false });
  return new Map(res.resources[0]!.configEntries.map((e) => [e.configName, e]));
}

async function produceAt(topic: string, timestamp: number): Promise<number> {
  const res = await client.request(ProduceApi, 9, {
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: await buildRecordBatch({ records: [{ key: null, value: Buffer.from('x'), timestamp }] }) }] }],
  });
  return res.responses[0].partitionResponses[0].errorCode;
}

describe('Kafka 3.x deprecated topic configs', () => {
  it('kafkajs createTopics with all three succeeds; DescribeConfigs shows them as set', async () => {
    const configEntries = [
      { name: 'message.timestamp.difference.max.ms', value: '60000' },
      { name: 'message.format.version', value: '2.8-IV1' },
      { name: 'message.downconversion.enable', value: 'false' },
    ];
    expect(await admin.createTopics({ topics: [{ topic: 'legacy-app', configEntries }] })).toBe(true);
    const d = await describeTopic('legacy-app');
    for (const { name, value } of configEntries) expect(d.get(name)).toMatchObject({ configValue: value, isDefault: false });
  });

  it('an untouched topic lists them with Kafka 3.9\'s defaults', async () => {
    await admin.createTopics({ topics: [{ topic: 'plain' }] });
    const d = await describeTopic('plain');
    expect(d.get('message.timestamp.difference.max.ms')).toMatchObject({ configValue: '9223372036854775807', isDefault: true });
    expect(d.get('message.format.version')).toMatchObject({ configValue: '3.0-IV1', isDefault: true });
    expect(d.get('message.downconversion.enable')).toMatchObject({ configValue: 'true', isDefault: true });
  });

  it('message.format.version takes Kafka\'s version strings only', async () => {
    for (const ok of ['0.10.2', '0.10.0.1', '2.8.1', '3.9', '3.0-IV1']) {
      expect(await admin.createTopics({ validateOnly: true, waitForLeaders: false, topics: [{ topic: `v-${ok}`, configEntries: [{ name: 'message.format.version', value: ok }] }] })).toBe(true);
    }
    const err = await admin
      .createTopics({ topics: [{ topic: 'bad-version', configEntries: [{ name: 'message.format.version', value: '9.9' }] }] })
      .catch((e: unknown) => e as { errors: { type: string; message: string }[] });
    expect((err as { errors: unknown[] }).errors).toEqual([
      expect.objectContaining({ type: 'INVALID_CONFIG', topic: 'bad-version' }),
    ]);
    expect(broker.cluster.topic('bad-version')).toBeUndefined();
  });

  it('message.timestamp.difference.max.ms bounds past timestamps when before.max.ms is left at its default, as in Kafka 3.6-3.9', async () => {
    await admin.createTopics({ topics: [{ topic: 'bounded', configEntries: [{ name: 'message.timestamp.difference.max.ms', value: '60000' }] }] });
    expect(await produceAt('bounded', Date.now() - 3_600_000)).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect(await produceAt('bounded', Date.now() - 1000)).toBe(ErrorCode.NONE);

    // before.max.ms, once set, wins over the deprecated difference.
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: 2, name: 'bounded', configEntries: [{ name: 'message.timestamp.difference.max.ms', value: '60000' }, { name: 'message.timestamp.before.max.ms', value: '7200000' }] }],
    });
    expect(await produceAt('bounded', Date.now() - 3_600_000)).toBe(ErrorCode.NONE);
  });

  it('setting one logs Kafka 3.x\'s deprecation warning', async () => {
    const lines: { level: number; msg: string; topic?: string }[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const logged = await startBroker({ logger: pino({ level: 'warn' }, sink) });
    const a = new Kafka({ brokers: [logged.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await a.connect();
    try {
      await a.createTopics({ topics: [{ topic: 'old-style', configEntries: [{ name: 'message.format.version', value: '2.8' }] }] });
      await a.createTopics({ topics: [{ topic: 'new-style', configEntries: [{ name: 'message.timestamp.before.max.ms', value: '1000' }] }] });
    } finally {
      await a.disconnect();
      await logged.close();
    }
    const warnings = lines.filter((l) => l.msg.includes('deprecated'));
    expect(warnings).toEqual([expect.objectContaining({ level: 40, topic: 'old-style', msg: expect.stringContaining('message.format.version is deprecated') })]);
  });
});
