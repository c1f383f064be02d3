// kcat (librdkafka) producing to and reading a compacted topic (issue 14).
// After a cleaning round the partition has offset gaps: superseded records are
// gone, the survivors keep their offsets. kcat -C from the beginning, and from
// an offset the round removed, sees exactly the latest record per key below
// the cleaned end (a tombstone within delete.retention.ms included) and every
// record past it, each at the offset it was written at. The round is started
// through kafkalite's embedding API, so the scenario runs on kafkalite only.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { testBroker, uniqueTopic, type TestBroker } from '../support/broker.js';
import { kcat, kcatVersion } from '../support/kcat.js';

const KEYS = 6;
const ROUNDS = 4;

interface Rec {
  offset: number;
  key: string;
  value: string | null;
}

describe.skipIf(!kcatVersion() || !!process.env.KAFKA_BROKERS)('kcat reading a compacted topic with offset gaps', () => {
  let broker: TestBroker;
  const topic = uniqueTopic('compacted');
  const sent: Rec[] = [];
  let cleanedEnd = 0;

  beforeAll(async () => {
    broker = await testBroker();
    const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    // segment.ms=1: each kcat run's batch lands in a segment of its own, sealed by the next
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'segment.ms', value: '1' }] }] });
    await admin.disconnect();
    for (let round = 0; round < ROUNDS; round++) {
      const lines: string[] = [];
      for (let k = 0; k < KEYS; k++) {
        // round 2 deletes k1 (an empty value is a NULL with -Z)
        const value = round === 2 && k === 1 ? null : `v${round}-${k}`;
        sent.push({ offset: sent.length, key: `k${k}`, value });
        lines.push(`k${k}:${value ?? ''}`);
      }
      const res = await kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-K', ':', '-Z'], { input: `${lines.join('\n')}\n` });
      expect(res.code, res.stderr).toBe(0);
    }
    const round = await broker.kafkalite!.cleaner.clean(topic, 0);
    expect(round).not.toBeNull();
    cleanedEnd = round!.endOffset;
  });
  afterAll(async () => {
    await broker?.close();
  });

  async function kcatRead(from: number | 'beginning'): Promise<Rec[]> {
    const res = await kcat(['-C', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-o', String(from), '-e', '-J', '-q', '-Z']);
    expect(res.code, res.stderr).toBe(0);
    return res.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { offset: number; key: string; payload: string | null })
      .map((r) => ({ offset: r.offset, key: r.key, value: r.payload }));
  }

  function expected(from: number): Rec[] {
    const latest = new Map<string, Rec>();
    for (const s of sent) if (s.offset < cleanedEnd) latest.set(s.key, s);
    return [...latest.values(), ...sent.filter((s) => s.offset >= cleanedEnd)].filter((s) => s.offset >= from).sort((a, b) => a.offset - b.offset);
  }

  it('the round cleaned the sealed segments and left gaps', () => {
    // every round but the last sealed: the cleaned end is the active segment's base
    expect(cleanedEnd).toBe((ROUNDS - 1) * KEYS);
    const offsets = expected(0).map((r) => r.offset);
    expect(offsets.length).toBeLessThan(sent.length);
    expect(offsets[0]).toBeGreaterThan(0);
  });

  it('kcat -C -o beginning sees the latest value per key at its offset, the tombstone, then the uncleaned tail', async () => {
    const seen = await kcatRead('beginning');
    expect(seen).toEqual(expected(0));
    expect(seen.some((r) => r.key === 'k1' && r.value === null)).toBe(true);
  });

  it('kcat -C from an offset the round removed starts at the next record kept', async () => {
    const kept = new Set(expected(0).map((r) => r.offset));
    const gap = sent.find((s) => s.offset > 0 && !kept.has(s.offset))!.offset;
    const seen = await kcatRead(gap);
    expect(seen).toEqual(expected(gap));
    expect(seen[0]!.offset).toBeGreaterThan(gap);
  });
});
