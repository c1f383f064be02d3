// Runs under test/global-setup/vitest.config.ts: one broker for the run, found
// through KAFKA_BROKERS, reset between tests through resetSharedBroker().
import { afterEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { resetSharedBroker } from '../../testing/index.js';

const kafka = new Kafka({ brokers: [process.env.KAFKA_BROKERS!], logLevel: logLevel.NOTHING });

describe('the run-wide broker', () => {
  afterEach(async () => {
    expect((await resetSharedBroker()).unusedFaults).toEqual([]);
  });

  it('is reachable at KAFKA_BROKERS', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'left-behind' }] });
    expect(await admin.listTopics()).toEqual(['left-behind']);
    await admin.disconnect();
  });

  it('starts each test empty after resetSharedBroker()', async () => {
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.listTopics()).toEqual([]);
    await admin.disconnect();
  });
});
