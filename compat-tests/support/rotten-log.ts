// A data directory with a rotten batch: the real CLI writes topic `rot` (one
// partition, several segments: segment.ms rolls by record timestamps) and
// topic `healthy`, stops cleanly (SIGTERM) or dies (SIGKILL), then one byte in
// a record value of a batch in the oldest or the newest segment of `rot-0` is
// flipped. The broker is started again on it; clients then read. Shared by the
// kafkajs/@platformatic/kafka test and the kcat compat scenario (issue 7).
import { mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRecordBatchSync } from '../../protocol/record-batch.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ChildBroker, createTopic, produce } from '../../test/durability/helpers.js';

export const BATCHES = 12;
export const RECORDS_PER_BATCH = 3;
export const HEALTHY_RECORDS = 20;

export const valueOf = (offset: number): string => `value-${offset}-${'x'.repeat(40)}`;

export interface RottenLog {
  broker: ChildBroker;
  /** Offsets below this are intact and must all be served. */
  goodPrefix: number;
  /** Resolves when the broker logs the corrupt batch (reads reached it). */
  corruptionLogged: Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function rottenLog(where: 'oldest' | 'newest', stop: 'clean' | 'unclean'): Promise<RottenLog> {
  const dataDir = await mkdtemp(join(tmpdir(), 'kafkalite-rot-'));
  const first = await ChildBroker.start({ dataDir });
  try {
    const c = await first.connect();
    try {
      expect0((await createTopic(c, 'rot', 1, { 'segment.ms': '1000' })).errorCode);
      expect0((await createTopic(c, 'healthy', 1)).errorCode);
      const t0 = Date.now() - 60_000;
      for (let b = 0; b < BATCHES; b++) {
        const records = Array.from({ length: RECORDS_PER_BATCH }, (_, k) => ({ key: null, value: Buffer.from(valueOf(b * RECORDS_PER_BATCH + k)), timestamp: t0 + b * 400 + k }));
        expect0((await produce(c, 'rot', 0, buildRecordBatchSync({ records }), -1)).errorCode);
      }
      for (let i = 0; i < HEALTHY_RECORDS; i++) {
        expect0((await produce(c, 'healthy', 0, buildRecordBatchSync({ records: [{ key: null, value: Buffer.from(valueOf(i)), timestamp: Date.now() }] }), -1)).errorCode);
      }
    } finally {
      c.close();
    }
  } finally {
    if (stop === 'clean') await first.stop();
    else await first.kill();
  }

  // flip one byte inside the last record value of the second batch of the chosen segment
  const dir = join(dataDir, 'rot-0');
  const logs = (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
  if (logs.length < 3) throw new Error(`expected several segments, got ${logs.join(', ')}`);
  const file = join(dir, where === 'oldest' ? logs[0]! : logs[logs.length - 1]!);
  const data = await readFile(file);
  const secondAt = 12 + data.readInt32BE(8);
  if (secondAt >= data.length) throw new Error(`${file} holds a single batch`);
  const secondEnd = secondAt + 12 + data.readInt32BE(secondAt + 8);
  const flipAt = secondEnd - 10;
  const fh = await open(file, 'r+');
  await fh.write(Buffer.from([data[flipAt]! ^ 0x20]), 0, 1, flipAt);
  await fh.close();
  const goodPrefix = Number(data.readBigInt64BE(secondAt));

  const broker = ChildBroker.spawn({ dataDir });
  const corruptionLogged = new Promise<Record<string, unknown>>((resolve) =>
    broker.onLine((l) => {
      if (l.msg === 'corrupt batch on disk; reads that reach it answer KAFKA_STORAGE_ERROR') resolve(l);
    }),
  );
  await broker.ready();
  return {
    broker,
    goodPrefix,
    corruptionLogged,
    close: async () => {
      await broker.kill();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

function expect0(code: number): void {
  if (code !== ErrorCode.NONE) throw new Error(`error code ${code}`);
}
