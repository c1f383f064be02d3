// __transaction_state values: written as Kafka 3.9 writes them (version 0: its
// transaction.version 1, which writes the flexible version 1, needs metadata
// version 4.0), read in both versions, so a log written by Kafka 4.0 (version 1,
// with the tagged PreviousProducerId / NextProducerId) replays here.
import { describe, expect, it } from 'vitest';
import { Writer } from '../../protocol/writer.js';
import { writeTransactionLogValue } from '../../protocol/messages/coordinator-records/transaction-log-value.js';
import { decodeTxnRecord, encodeTxnRecord } from './records.js';
import type { TxnMetadata } from './state.js';

const meta: TxnMetadata = {
  transactionalId: 'tx',
  producerId: 4001n,
  previousProducerId: -1n,
  producerEpoch: 0,
  lastProducerEpoch: -1,
  timeoutMs: 60_000,
  state: 'Ongoing',
  partitions: [{ topic: 'a', partition: 0 }, { topic: 'a', partition: 2 }, { topic: 'b', partition: 1 }],
  startMs: 1_000,
  lastUpdateMs: 2_000,
};

describe('__transaction_state records', () => {
  it('writes value version 0 and reads it back', () => {
    const { key, value } = encodeTxnRecord({ transactionalId: 'tx', value: meta });
    expect(value!.readInt16BE(0)).toBe(0);
    expect(decodeTxnRecord(key, value)).toEqual({ transactionalId: 'tx', value: meta });
  });

  it('reads version 1 values with the tagged previous producer id (a rotated id, as Kafka 4.0 writes it)', () => {
    const { key } = encodeTxnRecord({ transactionalId: 'tx', value: meta });
    const w = new Writer(128);
    w.int16(1);
    writeTransactionLogValue(
      w,
      {
        producerId: 5002n,
        previousProducerId: 4001n,
        nextProducerId: -1n,
        producerEpoch: 0,
        transactionTimeoutMs: 60_000,
        transactionStatus: 0,
        transactionPartitions: null,
        transactionLastUpdateTimestampMs: 3_000n,
        transactionStartTimestampMs: -1n,
        clientTransactionVersion: 0,
      },
      1,
    );
    expect(decodeTxnRecord(key, w.toBuffer())?.value).toEqual({ ...meta, producerId: 5002n, previousProducerId: 4001n, state: 'Empty', partitions: [], startMs: -1, lastUpdateMs: 3_000 });
  });
});
