// The internal __consumer_offsets topic: the group coordinator's durable state.
// Every record batch the coordinator emits is appended (through the same log
// as any topic) to the partition its group hashes to, and the broker answers
// only once the batch is as durable as an acks=-1 produce. A partition's records
// are replayed into its coordinator shard when a node starts leading it
// (group-shards.ts).
//
// Compacted like any cleanup.policy=compact topic (Kafka's configs for it:
// compact, compression.type=producer, segment.bytes=offsets.topic.segment.bytes):
// the log cleaner keeps the latest record of each key, drops a transaction's
// offsets when it aborted, and removes tombstones (deleted groups and offsets)
// and markers with no data left after delete.retention.ms. It never touches
// the active segment; replay.ts reduces what it has not cleaned yet, so replay
// is bounded by the live keys either way.
//
// Transactional offsets (TxnOffsetCommit) are appended as one transactional
// batch with the producer's id and epoch, as Kafka's storeOffsets; the
// coordinator holds them pending until that producer's marker lands, live and
// in replay.
//
// Data directories written before compaction took over (a periodic "snapshot"
// run of the live records, and the log start moved past the history) load as
// what they are: compacted logs whose log start was raised, as DeleteRecords
// raises any log's.
import { buildRecordBatchSync } from '../../protocol/record-batch.js';
import type { BrokerConfig } from '../config.js';
import type { Cluster, TopicInfo } from '../cluster.js';
import type { LogManager } from '../../storage/log-manager.js';
import type { PartitionLog } from '../../storage/partition-log.js';
import type { CoordinatorRecord, TxnProducerEpoch } from '../groups/types.js';
import { replayPartition, type TxnProducer } from './replay.js';
import { decodeCoordinatorRecord, encodeCoordinatorRecord, offsetsPartitionFor, type EncodedRecord } from './records.js';

export const OFFSETS_TOPIC = '__consumer_offsets';
const RECORDS_PER_BATCH = 1_000;

/** The topic configs Kafka creates __consumer_offsets with (GroupCoordinatorService.groupMetadataTopicConfigs). */
export function offsetsTopicConfigs(config: BrokerConfig): Record<string, string> {
  return {
    'cleanup.policy': 'compact',
    'compression.type': 'producer',
    'segment.bytes': String(config.values['offsets.topic.segment.bytes']),
  };
}

export class OffsetsTopic {
  private creating: Promise<TopicInfo> | null = null;

  constructor(
    private readonly cluster: Cluster,
    private readonly logs: LogManager,
    private readonly config: BrokerConfig,
    private readonly now: () => number,
  ) {}

  private get topic(): TopicInfo | undefined {
    return this.cluster.topic(OFFSETS_TOPIC);
  }

  get numPartitions(): number {
    return this.topic?.partitions.length ?? this.config.values['offsets.topic.num.partitions'];
  }

  /** The topic, created on first use with Kafka's settings for it. */
  ensureTopic(): Promise<TopicInfo> {
    if (this.topic) return Promise.resolve(this.topic);
    this.creating ??= (async () => {
      const existing = this.cluster.topic(OFFSETS_TOPIC);
      const t =
        existing ??
        (await this.cluster.createTopic(
          this.cluster.newTopic(OFFSETS_TOPIC, this.config.values['offsets.topic.num.partitions'], offsetsTopicConfigs(this.config)),
        ));
      return t;
    })().finally(() => (this.creating = null));
    return this.creating;
  }

  private log(partition: number): PartitionLog {
    const log = this.logs.log(OFFSETS_TOPIC, partition);
    if (!log) throw new Error(`${OFFSETS_TOPIC}-${partition} has no log`);
    return log;
  }

  /** Whether a partition has records to replay (a new one has none, and its shard is ready at once). */
  hasRecords(partition: number): boolean {
    const log = this.log(partition);
    return log.highWatermark > log.logStartOffset;
  }

  /**
   * Replays one partition: `apply` gets each record (with its producer id when it
   * belongs to a transaction), `onMarker` each transaction marker. Returns the
   * number of records read.
   */
  loadPartition(
    partition: number,
    apply: (rec: CoordinatorRecord, txnProducer: TxnProducer) => void,
    onMarker: (producerId: bigint, commit: boolean) => void,
  ): Promise<number> {
    return replayPartition(
      this.log(partition),
      (key, value, txnProducer) => {
        const rec = decodeCoordinatorRecord(key, value);
        if (rec) apply(rec, txnProducer);
      },
      onMarker,
    );
  }

  /**
   * Appends the coordinator's records; resolves once they are as durable as an
   * acks=-1 produce. With `txn` they form one transactional batch of that
   * producer (TxnOffsetCommit), pending until its marker.
   */
  async persist(records: readonly CoordinatorRecord[], txn?: TxnProducerEpoch): Promise<void> {
    await this.ensureTopic();
    const byPartition = new Map<number, EncodedRecord[]>();
    for (const rec of records) {
      const p = offsetsPartitionFor(rec.groupId, this.numPartitions);
      let list = byPartition.get(p);
      if (!list) byPartition.set(p, (list = []));
      list.push(encodeCoordinatorRecord(rec));
    }
    const acks: Promise<void>[] = [];
    for (const [p, list] of byPartition) acks.push(txn ? this.appendTxn(p, list, txn) : this.append(p, list));
    await Promise.all(acks);
  }

  private append(partition: number, records: readonly EncodedRecord[]): Promise<void> {
    const timestamp = this.now();
    const log = this.log(partition);
    const acks: Promise<void>[] = [];
    for (let i = 0; i < records.length; i += RECORDS_PER_BATCH) {
      const batch = buildRecordBatchSync({
        records: records.slice(i, i + RECORDS_PER_BATCH).map((r) => ({ key: r.key, value: r.value, timestamp })),
      });
      acks.push(log.append(batch, { origin: 'coordinator' }).ack(-1));
    }
    return Promise.all(acks).then(() => undefined);
  }

  /** One transactional batch (Kafka writes a transaction's offsets the same way): no sequence, the coordinator's append checks the epoch only. */
  private appendTxn(partition: number, records: readonly EncodedRecord[], txn: TxnProducerEpoch): Promise<void> {
    const timestamp = this.now();
    const batch = buildRecordBatchSync({
      records: records.map((r) => ({ key: r.key, value: r.value, timestamp })),
      producerId: txn.producerId,
      producerEpoch: txn.producerEpoch,
      baseSequence: -1,
      isTransactional: true,
    });
    return this.log(partition).append(batch, { origin: 'coordinator' }).ack(-1);
  }
}
