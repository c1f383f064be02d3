// Issue 7, item 4: a byte flipped on disk, in the oldest or the newest segment,
// after a clean or an unclean stop of the real CLI. kafkajs (which checks no
// CRC) and @platformatic/kafka read the partition from the start: they get
// every record before the rotten batch, byte for byte, and nothing of it; the
// broker stays up and serves the other topic in full. (kcat: compat-tests/kcat/
// corruption.compat.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import { Condition } from '../../compat-tests/support/groups.js';
import { HEALTHY_RECORDS, rottenLog, valueOf, type RottenLog } from '../../compat-tests/support/rotten-log.js';

interface Got {
  topic: string;
  offset: number;
  value: string;
}

/** Waits for the prefix and the healthy topic, and (clean stop) for the broker to have refused the rotten batch. */
async function settle(log: RottenLog, got: Got[], cond: Condition, stop: 'clean' | 'unclean'): Promise<void> {
  const count = (t: string) => got.filter((g) => g.topic === t).length;
  await cond.until(() => count('healthy') >= HEALTHY_RECORDS && count('rot') >= log.goodPrefix, 'the good records', 30_000);
  // after a clean stop the rotten batch is still on disk: wait until a read reached it
  if (stop === 'clean') await log.corruptionLogged;
}

function check(log: RottenLog, got: Got[]): void {
  const rot = got.filter((g) => g.topic === 'rot').sort((a, b) => a.offset - b.offset);
  expect(rot.map((g) => g.offset)).toEqual(Array.from({ length: log.goodPrefix }, (_, i) => i));
  for (const g of rot) expect(g.value).toBe(valueOf(g.offset));
  const healthy = got.filter((g) => g.topic === 'healthy').sort((a, b) => a.offset - b.offset);
  expect(healthy.map((g) => g.value)).toEqual(Array.from({ length: HEALTHY_RECORDS }, (_, i) => valueOf(i)));
}

for (const stop of ['clean', 'unclean'] as const) {
  for (const where of ['oldest', 'newest'] as const) {
    describe(`a rotten batch in the ${where} segment after an ${stop} stop`, () => {
      let log: RottenLog;
      beforeAll(async () => {
        log = await rottenLog(where, stop);
      }, 60_000);
      afterAll(() => log?.close());

      it('kafkajs reads every good record and no rotten byte; the broker serves on', async () => {
        const kafka = new Kafka({ clientId: 'rot-kjs', brokers: [`${log.broker.host}:${log.broker.port}`], logLevel: logLevel.NOTHING });
        const consumer = kafka.consumer({ groupId: `rot-kjs-${where}-${stop}`, maxWaitTimeInMs: 100, retry: { retries: 1000 } });
        const got: Got[] = [];
        const cond = new Condition();
        await consumer.connect();
        try {
          await consumer.subscribe({ topics: ['rot', 'healthy'], fromBeginning: true });
          await consumer.run({
            eachMessage: async ({ topic, message }) => {
              got.push({ topic, offset: Number(message.offset), value: message.value?.toString() ?? '' });
              cond.changed();
            },
          });
          await settle(log, got, cond, stop);
          check(log, got);
        } finally {
          await consumer.disconnect();
        }
        expect(log.broker.proc.exitCode).toBeNull();
      });

      it('@platformatic/kafka reads every good record and no rotten byte; the broker serves on', async () => {
        const consumer = new Consumer<string, string, string, string>({
          groupId: `rot-pl-${where}-${stop}`,
          clientId: 'rot-pl',
          bootstrapBrokers: [`${log.broker.host}:${log.broker.port}`],
          deserializers: stringDeserializers,
          maxWaitTime: 100,
          retries: 1000,
        });
        const got: Got[] = [];
        const cond = new Condition();
        try {
          const stream = await consumer.consume({ topics: ['rot', 'healthy'], mode: 'earliest', autocommit: false });
          stream.on('data', (m) => {
            got.push({ topic: m.topic, offset: Number(m.offset), value: m.value });
            cond.changed();
          });
          stream.on('error', () => undefined);
          await settle(log, got, cond, stop);
          check(log, got);
          await stream.close();
        } finally {
          await consumer.close(true);
        }
        expect(log.broker.proc.exitCode).toBeNull();
      });
    });
  }
}
