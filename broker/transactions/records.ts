// The transaction coordinator's records in Kafka's __transaction_state schemas
// (TransactionLog.scala): key = int16 0 + TransactionLogKey, value = int16 0 +
// TransactionLogValue v0 (what Kafka 3.9 writes: its transaction.version 1, the
// flexible v1, needs metadata version 4.0), partitions null when Empty; a null
// value (tombstone) removes an expired id. Both versions are read (v1 with its
// tagged previous producer id). No version keeps the last epoch, so, as in
// Kafka, a KIP-360 InitProducerId retried across a coordinator restart after
// its bump was logged is fenced.
import { Reader } from '../../protocol/reader.js';
import { Writer } from '../../protocol/writer.js';
import { readTransactionLogKey, writeTransactionLogKey } from '../../protocol/messages/coordinator-records/transaction-log-key.js';
import { readTransactionLogValue, writeTransactionLogValue } from '../../protocol/messages/coordinator-records/transaction-log-value.js';
import { TXN_STATES, stateId, type TxnMetadata, type TxnPartition } from './state.js';

const KEY_VERSION = 0;
const VALUE_VERSION = 0;

/** A transactional id's latest metadata, or null once it expired. */
export interface TxnRecord {
  readonly transactionalId: string;
  readonly value: TxnMetadata | null;
}

/** A transaction's partitions grouped by topic, in order (the record and DescribeTransactions list them so). */
export function partitionsByTopic(partitions: readonly TxnPartition[]): [topic: string, partitions: number[]][] {
  const byTopic = new Map<string, number[]>();
  for (const p of partitions) {
    let ids = byTopic.get(p.topic);
    if (!ids) byTopic.set(p.topic, (ids = []));
    ids.push(p.partition);
  }
  return [...byTopic];
}

export function encodeTxnRecord(rec: TxnRecord): { key: Buffer; value: Buffer | null } {
  const kw = new Writer(64);
  kw.int16(KEY_VERSION);
  writeTransactionLogKey(kw, { transactionalId: rec.transactionalId }, KEY_VERSION);
  const m = rec.value;
  if (m === null) return { key: kw.toBuffer(), value: null };
  const vw = new Writer(128);
  vw.int16(VALUE_VERSION);
  writeTransactionLogValue(
    vw,
    {
      producerId: m.producerId,
      producerEpoch: m.producerEpoch,
      transactionTimeoutMs: m.timeoutMs,
      transactionStatus: stateId(m.state),
      transactionPartitions: m.state === 'Empty' ? null : partitionsByTopic(m.partitions).map(([topic, partitionIds]) => ({ topic, partitionIds })),
      transactionLastUpdateTimestampMs: BigInt(m.lastUpdateMs),
      transactionStartTimestampMs: BigInt(m.startMs),
    },
    VALUE_VERSION,
  );
  return { key: kw.toBuffer(), value: vw.toBuffer() };
}

/** The record, or null for a key version this broker does not know (skipped on replay). */
export function decodeTxnRecord(key: Buffer, value: Buffer | null): TxnRecord | null {
  const kr = new Reader(key);
  const keyVersion = kr.int16();
  if (keyVersion !== KEY_VERSION) return null;
  const { transactionalId } = readTransactionLogKey(kr, keyVersion);
  if (value === null) return { transactionalId, value: null };
  const vr = new Reader(value);
  const valueVersion = vr.int16();
  const v = readTransactionLogValue(vr, valueVersion);
  const state = TXN_STATES[v.transactionStatus];
  if (state === undefined) throw new Error(`transaction ${transactionalId} has unknown status ${v.transactionStatus}`);
  return {
    transactionalId,
    value: {
      transactionalId,
      producerId: v.producerId,
      previousProducerId: v.previousProducerId,
      producerEpoch: v.producerEpoch,
      lastProducerEpoch: -1,
      timeoutMs: v.transactionTimeoutMs,
      state,
      partitions: (v.transactionPartitions ?? []).flatMap((t) => t.partitionIds.map((partition) => ({ topic: t.topic, partition }))),
      startMs: Number(v.transactionStartTimestampMs),
      lastUpdateMs: Number(v.transactionLastUpdateTimestampMs),
    },
  };
}
