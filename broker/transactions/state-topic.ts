// The internal __transaction_state topic: the transaction coordinator's durable
// state. Created on first use like __consumer_offsets, with Kafka's configs for
// it (TransactionStateManager.transactionTopicConfigs: compact, uncompressed,
// no unclean leader election, transaction.state.log.min.isr and
// transaction.state.log.segment.bytes) over transaction.state.log.num.partitions
// partitions; the log cleaner compacts it to the latest record per
// transactional id. A transactional id's records go to partition
// abs(javaHash(id)) % partitions; an append answers once it is as durable as an
// acks=-1 produce; a partition is replayed (offsets/replay.ts: the latest record
// per key) into its shard when a node starts leading it.
import { buildRecordBatchSync } from '../../protocol/record-batch.js';
import type { BrokerConfig } from '../config.js';
import type { Cluster, TopicInfo } from '../cluster.js';
import type { LogManager } from '../../storage/log-manager.js';
import type { PartitionLog } from '../../storage/partition-log.js';
import { offsetsPartitionFor } from '../offsets/records.js';
import { replayPartition } from '../offsets/replay.js';
import { decodeTxnRecord, encodeTxnRecord, type TxnRecord } from './records.js';

export const TRANSACTION_STATE_TOPIC = '__transaction_state';

export class TransactionStateTopic {
  private creating: Promise<TopicInfo> | null = null;

  constructor(
    private readonly cluster: Cluster,
    private readonly logs: LogManager,
    private readonly config: BrokerConfig,
    private readonly now: () => number,
  ) {}

  get numPartitions(): number {
    return this.cluster.topic(TRANSACTION_STATE_TOPIC)?.partitions.length ?? this.config.values['transaction.state.log.num.partitions'];
  }

  /** Kafka's partition of a transactional id (TransactionStateManager.partitionFor: the same formula as groups). */
  partitionFor(transactionalId: string): number {
    return offsetsPartitionFor(transactionalId, this.numPartitions);
  }

  ensureTopic(): Promise<TopicInfo> {
    const existing = this.cluster.topic(TRANSACTION_STATE_TOPIC);
    if (existing) return Promise.resolve(existing);
    this.creating ??= this.cluster
      .createTopic(
        this.cluster.newTopic(TRANSACTION_STATE_TOPIC, this.config.values['transaction.state.log.num.partitions'], {
          'cleanup.policy': 'compact',
          'compression.type': 'uncompressed',
          'unclean.leader.election.enable': 'false',
          'min.insync.replicas': String(this.config.values['transaction.state.log.min.isr']),
          'segment.bytes': String(this.config.values['transaction.state.log.segment.bytes']),
        }),
      )
      .finally(() => (this.creating = null));
    return this.creating;
  }

  private log(partition: number): PartitionLog {
    const log = this.logs.log(TRANSACTION_STATE_TOPIC, partition);
    if (!log) throw new Error(`${TRANSACTION_STATE_TOPIC}-${partition} has no log`);
    return log;
  }

  /** Appends one record; resolves once it is as durable as an acks=-1 produce. */
  async persist(rec: TxnRecord): Promise<void> {
    await this.ensureTopic();
    const { key, value } = encodeTxnRecord(rec);
    const batch = buildRecordBatchSync({ records: [{ key, value, timestamp: this.now() }] });
    await this.log(this.partitionFor(rec.transactionalId)).append(batch, { origin: 'coordinator' }).ack(-1);
  }

  /** Replays one partition, oldest record first; returns the number of records read. */
  loadPartition(partition: number, apply: (rec: TxnRecord) => void): Promise<number> {
    return replayPartition(this.log(partition), (key, value) => {
      const rec = decodeTxnRecord(key, value);
      if (rec) apply(rec);
    });
  }
}
