// The transaction coordinator driver: one shard per __transaction_state
// partition, loaded by replaying that partition when a node starts leading it
// (as broker/group-shards.ts does for groups); requests meanwhile get
// COORDINATOR_LOAD_IN_PROGRESS, requests on a node that does not lead the id's
// partition NOT_COORDINATOR. It runs the pure steps of state.ts and carries out
// their output: the next metadata is persisted (the id is pending meanwhile, and
// concurrent calls get CONCURRENT_TRANSACTIONS) and then applied; owed markers
// are written after the Prepare record is durable, then Complete* is logged.
// EndTxn answers once Prepare* is durable, as Kafka does; markers follow at once
// (a test holds them with a fault on WriteTxnMarkers). A shard replaying an id caught in
// Prepare* writes its markers again and completes it without the client.
//
// Timers on the injectable clock: every
// transaction.abort.timed.out.transaction.cleanup.interval.ms, Ongoing
// transactions past their timeout are fenced (epoch + 1) and aborted; every
// transaction.remove.expired.transaction.cleanup.interval.ms, ids idle past
// transactional.id.expiration.ms are tombstoned.
//
// Left out: records of a shard unloaded while persisting may land after the new
// shard's replay (Kafka fences them by coordinator epoch).
import type { Logger } from 'pino';
import { ErrorCode } from '../../protocol/errors.js';
import type { BrokerConfig } from '../config.js';
import type { Clock, Timer } from '../clock.js';
import type { Cluster, PartitionInfo } from '../cluster.js';
import type { ProducerIdManager } from '../producer-ids.js';
import { TRANSACTION_STATE_TOPIC, type TransactionStateTopic } from './state-topic.js';
import type { TxnMarkers } from './markers.js';
import {
  addPartitions,
  complete,
  endTxn,
  fenceAndAbort,
  initProducerId,
  isExpired,
  isTimedOut,
  needsFreshProducerId,
  verifyPartition,
  type MarkerJob,
  type TxnMetadata,
  type TxnPartition,
  type TxnState,
  type TxnStep,
} from './state.js';

interface Shard {
  readonly partition: number;
  readonly leaderId: number;
  readonly coordinatorEpoch: number;
  readonly txns: Map<string, TxnMetadata>;
  /** Ids with a record being written (Kafka's pendingState). */
  readonly pending: Set<string>;
  loading: boolean;
}

export type ShardOrError = { shard: Shard; errorCode: 0 } | { shard?: undefined; errorCode: number };

export interface TransactionCoordinatorOptions {
  readonly cluster: Cluster;
  readonly stateTopic: TransactionStateTopic;
  readonly producerIds: ProducerIdManager;
  /** Writes markers (markers.ts); WriteTxnMarkers uses the same. */
  readonly markers: TxnMarkers;
  readonly config: BrokerConfig;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface DescribedTransaction {
  transactionalId: string;
  state: TxnState;
  producerId: bigint;
  producerEpoch: number;
  timeoutMs: number;
  startMs: number;
  partitions: readonly TxnPartition[];
}

/** Told after an id's metadata changed (Prepare* while its markers are written); undefined once the id expired. */
export type TxnChangeListener = (transactionalId: string, meta: TxnMetadata | undefined) => void;

export class TransactionCoordinator {
  private readonly shards = new Map<number, Shard>();
  private readonly listeners = new Set<TxnChangeListener>();
  private readonly timers: Timer[] = [];
  private readonly logger: Logger;
  private closed = false;

  readonly markers: TxnMarkers;

  constructor(private readonly opts: TransactionCoordinatorOptions) {
    this.markers = opts.markers;
    this.logger = opts.logger.child({ component: 'txn-coordinator' });
    opts.cluster.on('topicCreated', (t) => {
      if (t.name === TRANSACTION_STATE_TOPIC) for (const p of t.partitions) void this.load(p);
    });
    opts.cluster.on('leaderChanged', (t, p) => {
      if (t.name === TRANSACTION_STATE_TOPIC) void this.load(p);
    });
    opts.cluster.on('topicDeleted', (t) => {
      if (t.name === TRANSACTION_STATE_TOPIC) this.shards.clear();
    });
  }

  /** Loads the shards of an existing __transaction_state and starts the timers. */
  async start(): Promise<void> {
    const t = this.opts.cluster.topic(TRANSACTION_STATE_TOPIC);
    if (t) await Promise.all(t.partitions.map((p) => this.load(p)));
    const v = this.opts.config.values;
    this.every(v['transaction.abort.timed.out.transaction.cleanup.interval.ms'], () => this.abortTimedOut());
    this.every(v['transaction.remove.expired.transaction.cleanup.interval.ms'], () => this.removeExpired());
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers.splice(0)) t.cancel();
    this.shards.clear();
  }

  private every(ms: number, fn: () => void): void {
    const arm = () => {
      if (this.closed) return;
      this.timers.push(
        this.opts.clock.setTimeout(() => {
          this.timers.shift();
          fn();
          arm();
        }, ms),
      );
    };
    arm();
  }

  private async load(p: PartitionInfo): Promise<void> {
    const old = this.shards.get(p.index);
    if (old && old.leaderId === p.leaderId && old.coordinatorEpoch === p.leaderEpoch) return;
    this.shards.delete(p.index);
    if (this.closed || p.leaderId < 0) return;
    const shard: Shard = { partition: p.index, leaderId: p.leaderId, coordinatorEpoch: p.leaderEpoch, txns: new Map(), pending: new Set(), loading: true };
    this.shards.set(p.index, shard);
    try {
      const n = await this.opts.stateTopic.loadPartition(p.index, (rec) => {
        if (rec.value === null) shard.txns.delete(rec.transactionalId);
        else shard.txns.set(rec.transactionalId, rec.value);
      });
      if (n > 0) this.logger.info({ partition: p.index, node: p.leaderId, records: n, ids: shard.txns.size }, 'transaction coordinator shard loaded');
    } catch (err) {
      this.logger.error({ err, partition: p.index }, 'loading a transaction coordinator shard failed');
    }
    if (this.shards.get(p.index) !== shard) return;
    shard.loading = false;
    for (const [id, m] of shard.txns) this.changed(id, m);
    // Transactions caught between Prepare* and Complete* finish without their client.
    for (const m of shard.txns.values()) {
      if (m.state === 'PrepareCommit' || m.state === 'PrepareAbort') {
        this.logger.info({ transactionalId: m.transactionalId, state: m.state }, 'completing a transaction found prepared at load');
        shard.pending.add(m.transactionalId);
        void this.finish(shard, m, { transactionalId: m.transactionalId, producerId: m.producerId, producerEpoch: m.producerEpoch, commit: m.state === 'PrepareCommit', partitions: m.partitions });
      }
    }
  }

  /** The shard coordinating `transactionalId` on `nodeId`, creating __transaction_state on first use as Kafka does. */
  async shardFor(transactionalId: string, nodeId: number): Promise<ShardOrError> {
    let partitions: readonly PartitionInfo[];
    try {
      partitions = (await this.opts.stateTopic.ensureTopic()).partitions;
    } catch (err) {
      this.logger.error({ err }, `cannot create ${TRANSACTION_STATE_TOPIC}`);
      return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    }
    const index = this.opts.stateTopic.partitionFor(transactionalId);
    const shard = this.shards.get(index);
    if (partitions[index]?.leaderId !== nodeId || !shard || shard.leaderId !== nodeId) return { errorCode: ErrorCode.NOT_COORDINATOR };
    if (shard.loading) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS };
    return { shard, errorCode: 0 };
  }

  /**
   * Persists a step's next metadata (the id pending meanwhile) and applies it;
   * then, if markers are owed, writes them in the background and completes.
   * Returns the step with COORDINATOR_NOT_AVAILABLE if the write failed.
   */
  private async run(shard: Shard, id: string, step: TxnStep): Promise<TxnStep> {
    const next = step.next;
    if (!next) return step;
    shard.pending.add(id);
    try {
      await this.opts.stateTopic.persist({ transactionalId: id, value: next });
    } catch (err) {
      shard.pending.delete(id);
      this.logger.error({ err, transactionalId: id }, 'writing __transaction_state failed');
      return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    }
    shard.txns.set(id, next);
    if (step.markers) void this.finish(shard, next, step.markers);
    else shard.pending.delete(id);
    this.changed(id, next);
    return step;
  }

  /** Writes the markers, then logs Complete*; the id stays pending until then. */
  private async finish(shard: Shard, prepared: TxnMetadata, job: MarkerJob): Promise<void> {
    const id = prepared.transactionalId;
    try {
      await this.opts.markers.writeJob(job, { node: shard.leaderId, epoch: shard.coordinatorEpoch });
      if (this.shards.get(shard.partition) !== shard) return;
      const done = complete(prepared, this.opts.clock.now());
      await this.opts.stateTopic.persist({ transactionalId: id, value: done });
      shard.txns.set(id, done);
      shard.pending.delete(id);
      this.changed(id, done);
    } catch (err) {
      // The id stays in Prepare*: the next load of the shard completes it.
      this.logger.error({ err, transactionalId: id }, 'completing a transaction failed');
    } finally {
      shard.pending.delete(id);
    }
  }

  async initProducerId(nodeId: number, input: { transactionalId: string; timeoutMs: number; producerId: bigint; producerEpoch: number }): Promise<TxnStep> {
    const found = await this.shardFor(input.transactionalId, nodeId);
    if (!found.shard) return { errorCode: found.errorCode };
    const { shard } = found;
    const id = input.transactionalId;
    const meta = shard.txns.get(id);
    const freshProducerId = needsFreshProducerId(meta) ? await this.opts.producerIds.nextId() : -1n;
    // Re-read: another call may have moved the id while the producer id was reserved.
    const step = initProducerId(
      shard.txns.get(id),
      { ...input, maxTimeoutMs: this.opts.config.values['transaction.max.timeout.ms'], freshProducerId },
      this.opts.clock.now(),
      shard.pending.has(id),
    );
    if (step.next && step.next.producerId === -1n) return { errorCode: ErrorCode.CONCURRENT_TRANSACTIONS };
    const done = await this.run(shard, id, step);
    if (step.markers && done.errorCode === ErrorCode.CONCURRENT_TRANSACTIONS) {
      this.logger.info({ transactionalId: id, producerEpoch: step.next?.producerEpoch }, 'fenced the open transaction of a previous producer');
    }
    return done;
  }

  async addPartitions(nodeId: number, id: string, producerId: bigint, producerEpoch: number, partitions: readonly TxnPartition[]): Promise<number> {
    const found = await this.shardFor(id, nodeId);
    if (!found.shard) return found.errorCode;
    const { shard } = found;
    const step = addPartitions(shard.txns.get(id), producerId, producerEpoch, partitions, this.opts.clock.now(), shard.pending.has(id));
    return (await this.run(shard, id, step)).errorCode;
  }

  async endTxn(nodeId: number, id: string, producerId: bigint, producerEpoch: number, commit: boolean): Promise<number> {
    const found = await this.shardFor(id, nodeId);
    if (!found.shard) return found.errorCode;
    const { shard } = found;
    const step = endTxn(shard.txns.get(id), producerId, producerEpoch, commit, this.opts.clock.now(), shard.pending.has(id));
    return (await this.run(shard, id, step)).errorCode;
  }

  /** Whether a partition is in the id's open transaction (KIP-890 part 1 verification); Kafka's codes before downgrades. */
  verify(id: string, producerId: bigint, producerEpoch: number, p: TxnPartition): number {
    const shard = this.shards.get(this.opts.stateTopic.partitionFor(id));
    if (!shard) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (shard.loading) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    return verifyPartition(shard.txns.get(id), producerId, producerEpoch, p, shard.pending.has(id));
  }

  /** DescribeTransactions: the id's state on `nodeId`, or an error code. */
  async describe(nodeId: number, id: string): Promise<DescribedTransaction | number> {
    const found = await this.shardFor(id, nodeId);
    if (!found.shard) return found.errorCode;
    const m = found.shard.txns.get(id);
    if (!m || m.state === 'Dead') return ErrorCode.TRANSACTIONAL_ID_NOT_FOUND;
    return { transactionalId: id, state: m.state, producerId: m.producerId, producerEpoch: m.producerEpoch, timeoutMs: m.timeoutMs, startMs: m.startMs, partitions: m.partitions };
  }

  /** Every id `nodeId` coordinates; COORDINATOR_LOAD_IN_PROGRESS while any of its shards loads. */
  list(nodeId: number): { errorCode: number; transactions: TxnMetadata[] } {
    const mine = [...this.shards.values()].filter((s) => s.leaderId === nodeId);
    if (mine.some((s) => s.loading)) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, transactions: [] };
    return { errorCode: 0, transactions: mine.flatMap((s) => [...s.txns.values()].filter((m) => m.state !== 'Dead')) };
  }

  /** Calls `listener` after each applied change of an id (the test double's waitForTransaction); returns the unsubscribe. */
  onTransactionChange(listener: TxnChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(id: string, meta: TxnMetadata | undefined): void {
    for (const l of this.listeners) l(id, meta);
  }

  /** The id's metadata as the coordinator holds it (tests, tools). */
  metadata(id: string): TxnMetadata | undefined {
    return this.shards.get(this.opts.stateTopic.partitionFor(id))?.txns.get(id);
  }

  private abortTimedOut(): void {
    const now = this.opts.clock.now();
    for (const shard of this.shards.values()) {
      if (shard.loading) continue;
      for (const [id, m] of shard.txns) {
        if (shard.pending.has(id) || !isTimedOut(m, now)) continue;
        this.logger.info({ transactionalId: id, producerId: m.producerId, producerEpoch: m.producerEpoch }, 'aborting a transaction past its timeout');
        void this.run(shard, id, fenceAndAbort(m, now));
      }
    }
  }

  private removeExpired(): void {
    const now = this.opts.clock.now();
    const expirationMs = this.opts.config.values['transactional.id.expiration.ms'];
    for (const shard of this.shards.values()) {
      if (shard.loading) continue;
      for (const [id, m] of shard.txns) {
        if (shard.pending.has(id) || !isExpired(m, now, expirationMs)) continue;
        shard.pending.add(id);
        void this.opts.stateTopic
          .persist({ transactionalId: id, value: null })
          .then(() => {
            if (shard.txns.get(id) !== m) return;
            shard.txns.delete(id);
            shard.pending.delete(id);
            this.logger.info({ transactionalId: id }, 'transactional id expired');
            this.changed(id, undefined);
          })
          .catch((err: unknown) => this.logger.error({ err, transactionalId: id }, 'expiring a transactional id failed'))
          .finally(() => shard.pending.delete(id));
      }
    }
  }
}
