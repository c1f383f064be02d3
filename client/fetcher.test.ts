import { describe, expect, it } from 'vitest';
import { buildRecordBatch } from '../protocol/record-batch.js';
import { IsolationLevel } from './offsets.js';
import { readBatches, type ConsumedRecord, type FetchPosition } from './fetcher.js';

const rec = (value: string) => ({ value: Buffer.from(value), timestamp: 1000n });

/** A control batch holding one COMMIT (type 1) or ABORT (type 0) marker. */
async function marker(baseOffset: bigint, producerId: bigint, commit: boolean): Promise<Buffer> {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(commit ? 1 : 0, 2);
  return buildRecordBatch({ baseOffset, producerId, producerEpoch: 0, isTransactional: true, isControl: true, records: [{ key, value: Buffer.alloc(6), timestamp: 1000n }] });
}

// offsets 0-1: producer 7, aborted; 2: its abort marker; 3: plain; 4: producer 8, committed; 5: its commit marker; 6-7 plain.
async function log(): Promise<Buffer> {
  return Buffer.concat([
    await buildRecordBatch({ baseOffset: 0n, producerId: 7n, producerEpoch: 0, isTransactional: true, records: [rec('aborted-1'), rec('aborted-2')] }),
    await marker(2n, 7n, false),
    await buildRecordBatch({ baseOffset: 3n, records: [rec('plain-3')] }),
    await buildRecordBatch({ baseOffset: 4n, producerId: 8n, producerEpoch: 0, isTransactional: true, records: [rec('committed-4')] }),
    await marker(5n, 8n, true),
    await buildRecordBatch({ baseOffset: 6n, records: [rec('plain-6'), rec('plain-7')] }),
  ]);
}

async function read(buf: Buffer, offset: bigint, isolation: number, aborted: { producerId: bigint; firstOffset: bigint }[]) {
  const pos: FetchPosition = { topic: 't', topicId: '', partition: 0, offset };
  const out: ConsumedRecord[] = [];
  await readBatches(buf, pos, isolation, aborted, out);
  return { values: out.map((r) => `${r.offset}:${r.value!.toString()}`), next: pos.offset };
}

describe('readBatches', () => {
  it('drops control batches; read_uncommitted keeps aborted records', async () => {
    expect(await read(await log(), 0n, IsolationLevel.readUncommitted, [])).toEqual({
      values: ['0:aborted-1', '1:aborted-2', '3:plain-3', '4:committed-4', '6:plain-6', '7:plain-7'],
      next: 8n,
    });
  });

  it('read_committed drops the records of aborted transactions the broker lists', async () => {
    expect(await read(await log(), 0n, IsolationLevel.readCommitted, [{ producerId: 7n, firstOffset: 0n }])).toEqual({
      values: ['3:plain-3', '4:committed-4', '6:plain-6', '7:plain-7'],
      next: 8n,
    });
  });

  it('skips records below the position inside a batch, and keeps a cut-off tail for the next fetch', async () => {
    const buf = await log();
    // Cut inside the last batch, as a fetch at its size limit does.
    const { values, next } = await read(buf.subarray(0, buf.length - 10), 1n, IsolationLevel.readUncommitted, []);
    expect(values).toEqual(['1:aborted-2', '3:plain-3', '4:committed-4']);
    expect(next).toBe(6n);
  });

  it('refuses a corrupt batch', async () => {
    const buf = Buffer.from(await log());
    buf[buf.length - 1] ^= 0xff;
    await expect(read(buf, 0n, IsolationLevel.readUncommitted, [])).rejects.toThrow(/CRC/);
  });
});
