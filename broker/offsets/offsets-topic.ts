// The internal __consumer_offsets topic: the group coordinator's durable state.
// Every record batch the coordinator emits is appended (through the same log
// as any topic) to the partition its group hashes to, and the broker answers
// only once the batch is as durable as an acks=-1 produce. A partition's records
// are replayed into its coordinator shard when a node starts leading it
// (group-shards.ts).
//
// Bounded replay: storage does not compact, so each partition is snapshotted
// instead. Once a partition has taken more records than max(10,000, 2 x its
// live keys) since its last snapshot, the live records (the latest value of
// every key, tombstones dropped: exactly what compaction would keep) are
// appended as a fresh run and the log start offset moves to its first offset.
// Replay then reads one snapshot plus what came after it, however long the
// broker has run; segments below the log start are deleted by storage.
//
// Transactional offsets (TxnOffsetCommit) are appended as one transactional
// batch with the producer's id and epoch, as Kafka's storeOffsets; they join the
// live records only when that producer's commit marker lands (onTxnMarker), and
// replay holds them pending per producer id until it meets the marker.
import type { Logger } from 'pino';
import { buildRecordBatchSync } from '../../protocol/record-batch.js';
import type { BrokerConfig } from '../config.js';
import type { Cluster, TopicInfo } from '../cluster.js';
import type { LogManager } from '../../storage/log-manager.js';
import type { PartitionLog } from '../../storage/partition-log.js';
import type { CoordinatorRecord, TxnProducerEpoch } from '../groups/types.js';
import { replayPartition, type TxnProducer } from './replay.js';
import { decodeCoordinatorRecord, encodeCoordinatorRecord, offsetsPartitionFor, type EncodedRecord } from './records.js';

export const OFFSETS_TOPIC = '__consumer_offsets';
const SNAPSHOT_MIN_RECORDS = 10_000;
const RECORDS_PER_BATCH = 1_000;

interface PartitionState {
  /** Latest encoded record per key (the key bytes as a latin1 string); tombstones removed. */
  live: Map<string, EncodedRecord>;
  /** Records of open transactions, per producer id, in write order; not yet live. */
  pendingTxn: Map<bigint, EncodedRecord[]>;
  sinceSnapshot: number;
  snapshotting: boolean;
}

export class OffsetsTopic {
  private creating: Promise<TopicInfo> | null = null;
  private readonly partitions = new Map<number, PartitionState>();

  constructor(
    private readonly cluster: Cluster,
    private readonly logs: LogManager,
    private readonly config: BrokerConfig,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {
  }

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
          this.cluster.newTopic(OFFSETS_TOPIC, this.config.values['offsets.topic.num.partitions'], {
            'cleanup.policy': 'compact',
            'segment.bytes': String(this.config.values['offsets.topic.segment.bytes']),
          }),
        ));
      return t;
    })().finally(() => (this.creating = null));
    return this.creating;
  }

  private state(partition: number): PartitionState {
    let s = this.partitions.get(partition);
    if (!s) {
      s = { live: new Map(), pendingTxn: new Map(), sinceSnapshot: 0, snapshotting: false };
      this.partitions.set(partition, s);
    }
    return s;
  }

  private log(partition: number): PartitionLog {
    const log = this.logs.log(OFFSETS_TOPIC, partition);
    if (!log) throw new Error(`${OFFSETS_TOPIC}-${partition} has no log`);
    return log;
  }

  /** Forgets the live records after every topic was deleted (the test double's reset); the topic is made again on first use. */
  forget(): void {
    this.partitions.clear();
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
  async loadPartition(
    partition: number,
    apply: (rec: CoordinatorRecord, txnProducer: TxnProducer) => void,
    onMarker: (producerId: bigint, commit: boolean) => void,
  ): Promise<number> {
    const log = this.log(partition);
    // Rebuilt from the log: a shard loaded again (leadership came back) starts afresh.
    this.partitions.delete(partition);
    const s = this.state(partition);
    return replayPartition(
      log,
      (key, value, txnProducer) => {
        if (txnProducer === undefined) this.remember(s, { key, value });
        else this.rememberPending(s, txnProducer, [{ key, value }]);
        const rec = decodeCoordinatorRecord(key, value);
        if (rec) apply(rec, txnProducer);
      },
      (producerId, commit) => {
        this.settle(s, producerId, commit);
        onMarker(producerId, commit);
      },
    );
  }

  private rememberPending(s: PartitionState, producerId: bigint, records: readonly EncodedRecord[]): void {
    let list = s.pendingTxn.get(producerId);
    if (!list) s.pendingTxn.set(producerId, (list = []));
    list.push(...records);
  }

  /** A producer's transaction ended on the partition: its records become live (commit) or go (abort). */
  private settle(s: PartitionState, producerId: bigint, commit: boolean): void {
    const list = s.pendingTxn.get(producerId);
    if (!list) return;
    s.pendingTxn.delete(producerId);
    if (commit) for (const r of list) this.remember(s, r);
  }

  /** A transaction marker landed on `partition` (live, after the append). */
  onTxnMarker(partition: number, producerId: bigint, commit: boolean): void {
    const s = this.partitions.get(partition);
    if (s) this.settle(s, producerId, commit);
  }

  private remember(s: PartitionState, rec: EncodedRecord): void {
    const k = rec.key.toString('latin1');
    // Re-inserted so the map keeps last-write order: a snapshot replays records in
    // the order they were last written (a consumer group's records depend on it).
    s.live.delete(k);
    if (rec.value !== null) s.live.set(k, rec);
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
    for (const [p, list] of byPartition) {
      const s = this.state(p);
      if (txn) {
        acks.push(this.appendTxn(p, list, txn));
        this.rememberPending(s, txn.producerId, list);
        continue;
      }
      acks.push(this.append(p, list));
      for (const r of list) this.remember(s, r);
      s.sinceSnapshot += list.length;
      if (!s.snapshotting && s.sinceSnapshot > Math.max(SNAPSHOT_MIN_RECORDS, 2 * s.live.size)) void this.snapshot(p, s);
    }
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

  /** Writes the live records as a fresh run and drops everything before it. */
  private async snapshot(partition: number, s: PartitionState): Promise<void> {
    s.snapshotting = true;
    try {
      const log = this.log(partition);
      const start = log.logEndOffset;
      const live = [...s.live.values()];
      s.sinceSnapshot = 0;
      if (live.length > 0) await this.append(partition, live);
      // Open transactions' records are not in the snapshot: the log start stops
      // at the first of them (the last stable offset), so replay still meets them
      // and their markers. Simpler than carrying them in the snapshot, which would
      // need a second transactional batch per open producer.
      await log.deleteRecordsBefore(Math.min(live.length > 0 ? start : log.highWatermark, log.lastStableOffset));
      this.logger.debug({ partition, live: live.length, logStart: log.logStartOffset }, 'snapshotted __consumer_offsets partition');
    } catch (err) {
      this.logger.warn({ err, partition }, 'snapshot of __consumer_offsets failed; the next one retries');
    } finally {
      s.snapshotting = false;
    }
  }
}
