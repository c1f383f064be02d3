// log.cleaner.io.max.bytes.per.second (the budget's throttle, on a fake clock)
// and log.cleaner.threads (several workers waking, cleaning and stopping).
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { ManualClock } from '../../broker/clock.js';
import { buildRecordBatchSync } from '../../protocol/record-batch.js';
import { joinPath } from '../fs.js';
import { LogManager } from '../log-manager.js';
import { memoryEnv, testConfig } from '../test-env.js';
import { CleanerBudget, type BudgetClock } from './budget.js';

/** A clock that moves only when the budget sleeps or the test says so. */
function fakeClock(): BudgetClock & { t: number; sleeps: number[] } {
  const c = {
    t: 0,
    sleeps: [] as number[],
    now: () => c.t,
    sleep: async (ms: number) => {
      c.sleeps.push(ms);
      c.t += ms;
    },
  };
  return c;
}

describe('CleanerBudget (log.cleaner.io.max.bytes.per.second)', () => {
  it('sleeps until the bytes reported are back at the rate, checked every 300 ms', async () => {
    const clock = fakeClock();
    const budget = new CleanerBudget(1000, 1, clock);
    await budget.spend(400);
    clock.t = 100;
    await budget.spend(200); // not yet a check
    expect(clock.sleeps).toEqual([]);
    clock.t = 300;
    await budget.spend(300); // 900 bytes are due over 900 ms; 300 passed
    expect(clock.sleeps).toEqual([600]);
    // a new window starts after the sleep: 200 bytes in 300 ms is under the rate
    clock.t += 300;
    await budget.spend(200);
    expect(clock.sleeps).toEqual([600]);
    expect(budget.bytes).toBe(1100);
  });

  it('never sleeps without a limit, only yields the loop', async () => {
    const clock = fakeClock();
    const budget = new CleanerBudget(Infinity, 1, clock);
    for (let i = 0; i < 10; i++) {
      clock.t += 400;
      await budget.spend(1e9);
    }
    expect(clock.sleeps).toEqual([]);
  });
});

describe('log.cleaner.threads', () => {
  it('two workers, each with half the dedupe buffer, clean two logs when awaited and stop on close', async () => {
    const env = await memoryEnv();
    const clock = new ManualClock(1_000_000);
    const topics = ['a', 'b'].map((name) => ({ topicId: randomUUID(), topic: name, partitions: 1, config: testConfig({ cleanupPolicy: ['compact'], segmentBytes: 100 }) }));
    const m = await LogManager.open({
      dataDir: joinPath(env.root, 'kafka-data'),
      fs: env.fs,
      clock,
      topics,
      cleaner: { enable: true, threads: 2, dedupeBufferSize: 24 * 200, loadFactor: 0.9, ioMaxBytesPerSecond: Number.MAX_VALUE, backoffMs: 60_000 },
    });
    const cleaner = m.cleaner!;
    expect(cleaner.workerCount).toBe(2);
    for (const t of topics) {
      const log = m.log(t.topic, 0)!;
      for (let i = 0; i < 3; i++) {
        await log.append(buildRecordBatchSync({ records: [{ key: Buffer.from('k'), value: Buffer.from(`v${i}`), timestamp: clock.now() }] })).written;
      }
    }
    // the workers sleep through log.cleaner.backoff.ms on the manual clock: only a kick wakes them
    await Promise.all(topics.map((t) => cleaner.awaitCleaned(m.log(t.topic, 0)!, 2)));
    expect(topics.map((t) => cleaner.checkpointOf(t.topic, 0))).toEqual([2, 2]);
    // one key in a map of 100 slots (half of 200)
    for (const r of cleaner.stats.lastRounds) if (r) expect(r.bufferUtilization).toBe(1 / 100);
    // both workers are asleep on a timer the manual clock never fires: close wakes both
    await m.close();
  });
});
