// Issue 14, cleaner metrics: after the background cleaner compacts a topic
// written by kafkajs, a scrape of /metrics reports Kafka's LogCleaner and
// LogCleanerManager gauges for that round and the cleaner's byte counters.
import { afterAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../broker.js';
import { parsePromText, sample } from '../../test/support/prom-text.js';
import { M } from './names.js';

const TOPIC = 'compacted-metrics';
/** Dirty but never cleanable (its ratio can't pass 1): what max-dirty-percent reports once TOPIC is clean. */
const IDLE = 'compacted-idle';
const KEYS = 20;
const SLOTS = 1000;

describe('log cleaner metrics', () => {
  let broker: RunningBroker;
  afterAll(async () => {
    await broker?.close();
  });

  it('reports the round the background cleaner ran: time, recopy, buffer use, dirty ratio, bytes, runs', async () => {
    // a map of SLOTS slots (24 bytes each, Kafka's slot), so KEYS keys fill a known share of it
    broker = await startBroker({ metricsPort: 0, config: { 'log.cleaner.dedupe.buffer.size': String(24 * SLOTS) } });
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const compacted = (topic: string, extra: { name: string; value: string }[] = []) => ({
      topic,
      configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'segment.ms', value: '1' }, ...extra],
    });
    await admin.createTopics({ topics: [compacted(TOPIC), compacted(IDLE, [{ name: 'min.cleanable.dirty.ratio', value: '1' }])] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    let end = 0;
    for (let round = 0; round < 4; round++) {
      const messages = Array.from({ length: KEYS }, (_, k) => ({ key: `k${k}`, value: `v${round}-${k}` }));
      const [meta] = await producer.send({ topic: TOPIC, messages });
      end = Number(meta!.baseOffset) + KEYS;
      await producer.send({ topic: IDLE, messages });
      await new Promise((r) => setTimeout(r, 2)); // the delay is what rolls the segment (segment.ms=1)
    }
    await producer.disconnect();

    // the last batch sits in the active segment: the background round cleans the three before it
    await broker.cleaner.awaitCleaned(TOPIC, 0, end - KEYS);
    const samples = parsePromText(await (await fetch(broker.metricsEndpoint!.url)).text());
    const value = (name: string) => sample(samples, name);

    expect(value(M.cleanerRounds)).toBe(1);
    const read = value(M.cleanerBytesRead);
    const written = value(M.cleanerBytesWritten);
    // three segments of one batch each, read twice (map, rewrite); the rewrite keeps one of them
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(read / 4);
    expect(value(M.cleanerRecopyPercent)).toBe(Math.floor((100 * written) / (read / 2)));
    expect(value(M.cleanerMaxBufferUtilization)).toBe(Math.floor((100 * KEYS) / SLOTS));
    // IDLE was never cleaned: its whole cleanable range is dirty
    expect(value(M.cleanerMaxDirtyPercent)).toBe(100);
    expect(value(M.cleanerMaxCleanTime)).toBeGreaterThanOrEqual(0);
    expect(value(M.cleanerTimeSinceLastRun)).toBeGreaterThanOrEqual(0);
    expect(value(M.cleanerUncleanablePartitions)).toBe(0);
  });
});
