// The group coordinator driver: holds the pure GroupCoordinatorState, turns each
// call into an event stamped with the injectable clock's time, and carries out
// the step's output: answers resolve the callers' promises (a parked JoinGroup or
// SyncGroup is simply a promise whose answer comes out of a later step), records go
// to the persistence hook, timers go to the clock, completed rebalances are logged
// and kept in a bounded per-group history.
//
// Ordering: when the persistence hook returns a promise, the step's answers are
// released only after it settles, and answers leave in step order. When it is
// synchronous (or absent) answers are released at once. If persisting fails, the
// answers that depended on the records (SyncGroup, JoinGroup, OffsetCommit,
// OffsetDelete, DeleteGroups) carry COORDINATOR_NOT_AVAILABLE instead; the
// in-memory state is not rolled back (left out: Kafka reverts to its last
// committed snapshot).
//
// Batching: while one append is in flight, the records of the steps that follow
// wait and then go to the hook in ONE call (in step order, up to about
// MERGED_APPEND_BYTES; a transaction's offsets always alone), as Kafka's
// coordinator runtime batches the records of many operations. So the 1,000
// heartbeats that move a consumer group to a new epoch cost a few appends, not
// 1,000.
//
// Timers: one clock timer per key at most. Re-arming a timer to a later deadline
// (every heartbeat does) does not touch the clock: when the old timer fires early
// it re-schedules itself for the remaining time.

import { pino, type Logger } from 'pino';
import { systemClock, type Clock, type Timer } from '../clock.js';
import { joinError, type GroupSnapshot } from './classic-group.js';
import { GroupCoordinatorState, type CoordinatorEvent, type GroupCoordinatorStateOptions } from './group-coordinator-state.js';
import type { ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResult, DescribedConsumerGroup } from './consumer-types.js';
import type { ConsumerRebalanceSummary } from './consumer-rebalances.js';
import {
  EMPTY_BYTES,
  ErrorCode,
  timerKey,
  type CoordinatorRecord,
  type DeleteGroupResult,
  type DescribedGroup,
  type GroupResponse,
  type HeartbeatRequest,
  type HeartbeatResult,
  type JoinGroupRequest,
  type JoinGroupResult,
  type LeaveGroupRequest,
  type LeaveGroupResult,
  type ListedGroup,
  type OffsetCommitRequest,
  type OffsetCommitResult,
  type OffsetDeleteRequest,
  type OffsetDeleteResult,
  type OffsetFetchRequest,
  type OffsetFetchResult,
  type RebalanceSummary,
  type RequestHandle,
  type StepOutput,
  type SyncGroupRequest,
  type SyncGroupResult,
  type TimerId,
  type TxnProducerEpoch,
} from './types.js';

export interface GroupCoordinatorOptions extends GroupCoordinatorStateOptions {
  /** Time and timers; systemClock by default, ManualClock in tests. */
  readonly clock?: Clock;
  readonly logger?: Logger;
  /**
   * Called with every step's records (in order) before the step's answers are
   * released; return a promise to make the answers wait for durability.
   */
  readonly persist?: (records: readonly CoordinatorRecord[], txn?: TxnProducerEpoch) => void | Promise<void>;
  /** Completed rebalances kept per group, for each protocol (default 32). */
  readonly historyLimit?: number;
}

interface TimerSlot {
  timer: TimerId;
  deadline: number;
  scheduledFor: number;
  handle: Timer | null;
}

type Resolver = (body: never) => void;

/** Records of steps that came while an append was in flight; appended together once it settles. */
interface QueuedAppend {
  readonly records: CoordinatorRecord[];
  readonly txn: TxnProducerEpoch | undefined;
  bytes: number;
  /** Settles to the persistence error, or null. */
  readonly outcome: Promise<unknown>;
  readonly settle: (err: unknown) => void;
}

/** Merged appends stay well under the default max.message.bytes (1 MiB) of __consumer_offsets. */
const MERGED_APPEND_BYTES = 256 * 1024;

const MEMBERS_IN_LOG = 100;
const REASONS_IN_LOG = 10;

export class GroupCoordinator {
  readonly state: GroupCoordinatorState;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly persist: GroupCoordinatorOptions['persist'];
  private readonly historyLimit: number;

  private nextHandle = 1;
  private readonly waiting = new Map<RequestHandle, Resolver>();
  private readonly timers = new Map<string, TimerSlot>();
  private readonly history = new Map<string, RebalanceSummary[]>();
  private readonly listeners = new Set<(summary: RebalanceSummary) => void>();
  private readonly consumerHistory = new Map<string, ConsumerRebalanceSummary[]>();
  private readonly consumerListeners = new Set<(summary: ConsumerRebalanceSummary) => void>();
  private deliveryTail: Promise<void> | null = null;
  private deliveriesInFlight = 0;
  /** An asynchronous append is in flight; later steps' records wait in `queued`. */
  private appending = false;
  private readonly queued: QueuedAppend[] = [];
  private closed = false;

  constructor(options: GroupCoordinatorOptions = {}) {
    this.state = new GroupCoordinatorState(options);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.persist = options.persist;
    this.historyLimit = options.historyLimit ?? 32;
    this.run({ type: 'start' });
  }

  // -------------------------------------------------------------------------
  // Requests that may change state (answers come back through the machine)

  joinGroup(request: JoinGroupRequest): Promise<JoinGroupResult> {
    return this.request((handle) => ({ type: 'join', handle, request }));
  }

  syncGroup(request: SyncGroupRequest): Promise<SyncGroupResult> {
    return this.request((handle) => ({ type: 'sync', handle, request }));
  }

  heartbeat(request: HeartbeatRequest): Promise<HeartbeatResult> {
    return this.request((handle) => ({ type: 'heartbeat', handle, request }));
  }

  leaveGroup(request: LeaveGroupRequest): Promise<LeaveGroupResult> {
    return this.request((handle) => ({ type: 'leave', handle, request }));
  }

  commitOffsets(request: OffsetCommitRequest): Promise<OffsetCommitResult> {
    return this.request((handle) => ({ type: 'offset-commit', handle, request }));
  }

  /** TxnOffsetCommit: the offsets are written as the producer's transactional batch and stay pending until settleTransaction. */
  txnCommitOffsets(request: OffsetCommitRequest, producer: TxnProducerEpoch): Promise<OffsetCommitResult> {
    return this.request((handle) => ({ type: 'txn-offset-commit', handle, request, producer }));
  }

  /** A transaction marker of `producerId` landed on this shard's partition: its pending offsets commit or go. */
  settleTransaction(producerId: bigint, commit: boolean): void {
    if (!this.closed) this.run({ type: 'txn-marker', producerId, commit });
  }

  deleteOffsets(request: OffsetDeleteRequest): Promise<OffsetDeleteResult> {
    return this.request((handle) => ({ type: 'offset-delete', handle, request }));
  }

  deleteGroups(groupIds: readonly string[]): Promise<DeleteGroupResult[]> {
    return this.request((handle) => ({ type: 'delete-groups', handle, groupIds }));
  }

  /** ConsumerGroupHeartbeat (KIP-848): join, heartbeat or leave a consumer group. */
  consumerGroupHeartbeat(request: ConsumerGroupHeartbeatRequest): Promise<ConsumerGroupHeartbeatResult> {
    return this.request((handle) => ({ type: 'consumer-heartbeat', handle, request }));
  }

  // -------------------------------------------------------------------------
  // Reads

  /**
   * OffsetFetch for one group. With requireStable the read waits until every
   * commit already accepted has been persisted (Kafka's answer to pending offsets).
   */
  async fetchOffsets(request: OffsetFetchRequest): Promise<OffsetFetchResult> {
    if (request.requireStable === true && this.deliveryTail !== null) await this.deliveryTail;
    return this.state.fetchOffsets(request);
  }

  describeGroups(groupIds: readonly string[]): DescribedGroup[] {
    return this.state.describeGroups(groupIds);
  }

  listGroups(statesFilter: readonly string[] = [], typesFilter: readonly string[] = []): ListedGroup[] {
    return this.state.listGroups(statesFilter, typesFilter);
  }

  groupSnapshot(groupId: string): GroupSnapshot | undefined {
    return this.state.groupSnapshot(groupId);
  }

  describeConsumerGroups(groupIds: readonly string[]): DescribedConsumerGroup[] {
    return this.state.describeConsumerGroups(groupIds);
  }

  /** The last completed rebalances of a consumer group (KIP-848), oldest first. */
  consumerRebalanceHistory(groupId: string): readonly ConsumerRebalanceSummary[] {
    return this.consumerHistory.get(groupId) ?? [];
  }

  /** Called after every completed consumer-group rebalance; returns an unsubscribe function. */
  onConsumerRebalance(listener: (summary: ConsumerRebalanceSummary) => void): () => void {
    this.consumerListeners.add(listener);
    return () => this.consumerListeners.delete(listener);
  }

  /** The last completed rebalances of a group, oldest first. */
  rebalanceHistory(groupId: string): readonly RebalanceSummary[] {
    return this.history.get(groupId) ?? [];
  }

  /** Called after every completed rebalance; returns an unsubscribe function. */
  onRebalance(listener: (summary: RebalanceSummary) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Requests whose answer has not been released yet (parked or waiting on persistence). */
  get pendingRequestCount(): number {
    return this.waiting.size;
  }

  /** Timers currently armed (session, join, sync, offsets expiry). */
  get armedTimerCount(): number {
    return this.timers.size;
  }

  // -------------------------------------------------------------------------
  // Loading and shutdown

  /** Replays one record of __consumer_offsets (domain form, log order); `txnProducer` when it is a transaction's. */
  loadRecord(record: CoordinatorRecord, txnProducer?: bigint): void {
    this.state.loadRecord(record, txnProducer);
  }

  /** Replays a transaction marker of __consumer_offsets: the producer's pending offsets apply or go. */
  loadTxnMarker(producerId: bigint, commit: boolean): void {
    this.state.loadTxnMarker(producerId, commit);
  }

  /** After the replay: arms session timers of loaded members. */
  finishLoading(): void {
    this.run({ type: 'load-complete' });
  }

  /** Answers every parked request with NOT_COORDINATOR and cancels all timers. */
  close(): void {
    if (this.closed) return;
    this.run({ type: 'unload' });
    this.closed = true;
    for (const slot of this.timers.values()) slot.handle?.cancel();
    this.timers.clear();
  }

  // -------------------------------------------------------------------------
  // Machinery

  private request<T>(make: (handle: RequestHandle) => CoordinatorEvent): Promise<T> {
    const handle = this.nextHandle++;
    const event = make(handle);
    if (this.closed) return Promise.resolve(closedAnswer(event) as T);
    const promise = new Promise<T>((resolve) => this.waiting.set(handle, resolve as Resolver));
    this.run(event);
    return promise;
  }

  private run(event: CoordinatorEvent): void {
    let out: StepOutput;
    try {
      out = this.state.step(event, this.clock.now());
    } catch (err) {
      // A bug, not a Kafka error: log it and answer the one request, keep serving.
      this.logger.error({ err, event: event.type }, 'group coordinator step failed');
      if ('handle' in event) this.resolve(event.handle, failedAnswer(event, ErrorCode.UNKNOWN_SERVER_ERROR));
      return;
    }
    this.apply(out);
  }

  private apply(out: StepOutput): void {
    for (const op of out.timers) {
      if (op.op === 'set') this.setTimer(op.timer, op.deadline);
      else this.cancelTimer(op.timer);
    }
    for (const summary of out.rebalances) this.recordRebalance(summary);
    for (const summary of out.consumerRebalances) this.recordConsumerRebalance(summary);
    for (const r of out.records) {
      if (r.type === 'group-metadata' && r.value === null) this.history.delete(r.groupId);
      if (r.type === 'cg-metadata' && r.value === null) this.consumerHistory.delete(r.groupId);
    }

    // Settles to the persistence error, or null; never rejects. Null itself: already durable.
    const persisting = out.records.length > 0 && this.persist !== undefined ? this.append(out.records, out.txn) : null;
    const responses = out.responses;
    if (persisting === null && this.deliveryTail === null) {
      for (const r of responses) this.resolve(r.handle, r.body);
      return;
    }
    const outcome: Promise<unknown> = persisting ?? Promise.resolve(null);
    this.deliveriesInFlight++;
    const previous = this.deliveryTail ?? Promise.resolve();
    this.deliveryTail = previous
      .then(() => outcome)
      .then((err) => {
        if (err !== null) {
          this.logger.error({ err, records: out.records.length }, 'persisting group coordinator records failed');
          for (const r of responses) this.resolve(r.handle, dependsOnRecords(r) ? failedBody(r, ErrorCode.COORDINATOR_NOT_AVAILABLE) : r.body);
        } else {
          for (const r of responses) this.resolve(r.handle, r.body);
        }
      })
      .catch((err: unknown) => this.logger.error({ err }, 'delivering group coordinator answers failed'))
      .finally(() => {
        if (--this.deliveriesInFlight === 0) this.deliveryTail = null;
      });
  }

  /** Hands the records to the hook now, or queues them behind the append in flight (see Batching). */
  private append(records: readonly CoordinatorRecord[], txn: TxnProducerEpoch | undefined): Promise<unknown> | null {
    if (!this.appending) return this.startAppend(records, txn);
    const bytes = roughBytes(records);
    const last = this.queued[this.queued.length - 1];
    if (last !== undefined && last.txn === undefined && txn === undefined && last.bytes + bytes <= MERGED_APPEND_BYTES) {
      for (const r of records) last.records.push(r);
      last.bytes += bytes;
      return last.outcome;
    }
    let settle: (err: unknown) => void = () => {};
    const outcome = new Promise<unknown>((resolve) => (settle = resolve));
    this.queued.push({ records: [...records], txn, bytes, outcome, settle });
    return outcome;
  }

  /** Null when the hook was synchronous and succeeded. */
  private startAppend(records: readonly CoordinatorRecord[], txn: TxnProducerEpoch | undefined): Promise<unknown> | null {
    let p: void | Promise<void>;
    try {
      p = this.persist!(records, txn);
    } catch (err) {
      return Promise.resolve(err ?? new Error('persist failed'));
    }
    if (p === undefined || typeof (p as Promise<void>).then !== 'function') return null;
    this.appending = true;
    return (p as Promise<void>)
      .then(
        () => null,
        (err: unknown) => err ?? new Error('persist failed'),
      )
      .finally(() => {
        this.appending = false;
        this.startQueued();
      });
  }

  private startQueued(): void {
    while (!this.appending && this.queued.length > 0) {
      const next = this.queued.shift()!;
      const started = this.startAppend(next.records, next.txn);
      if (started === null) next.settle(null);
      else void started.then(next.settle);
    }
  }

  private resolve(handle: RequestHandle, body: unknown): void {
    const resolver = this.waiting.get(handle);
    if (resolver === undefined) return;
    this.waiting.delete(handle);
    (resolver as (b: unknown) => void)(body);
  }

  private setTimer(timer: TimerId, deadline: number): void {
    if (this.closed) return;
    const key = timerKey(timer);
    const slot = this.timers.get(key);
    if (slot === undefined) {
      const fresh: TimerSlot = { timer, deadline, scheduledFor: deadline, handle: null };
      this.timers.set(key, fresh);
      this.schedule(key, fresh);
      return;
    }
    slot.timer = timer;
    slot.deadline = deadline;
    if (slot.handle === null || slot.scheduledFor > deadline) this.schedule(key, slot);
  }

  private cancelTimer(timer: TimerId): void {
    const key = timerKey(timer);
    const slot = this.timers.get(key);
    if (slot === undefined) return;
    slot.handle?.cancel();
    this.timers.delete(key);
  }

  private schedule(key: string, slot: TimerSlot): void {
    slot.handle?.cancel();
    slot.scheduledFor = slot.deadline;
    slot.handle = this.clock.setTimeout(() => this.fire(key, slot), Math.max(0, slot.deadline - this.clock.now()));
  }

  private fire(key: string, slot: TimerSlot): void {
    if (this.timers.get(key) !== slot) return;
    slot.handle = null;
    if (this.clock.now() < slot.deadline) {
      this.schedule(key, slot);
      return;
    }
    this.timers.delete(key);
    this.run({ type: 'timer', timer: slot.timer });
  }

  private notify<S>(listeners: ReadonlySet<(summary: S) => void>, summary: S): void {
    for (const listener of listeners) {
      try {
        listener(summary);
      } catch (err) {
        this.logger.error({ err }, 'rebalance listener failed');
      }
    }
  }

  private recordConsumerRebalance(summary: ConsumerRebalanceSummary): void {
    let list = this.consumerHistory.get(summary.groupId);
    if (list === undefined) this.consumerHistory.set(summary.groupId, (list = []));
    list.push(summary);
    if (list.length > this.historyLimit) list.splice(0, list.length - this.historyLimit);
    this.logger.info(
      {
        groupId: summary.groupId,
        protocol: 'consumer',
        groupEpoch: summary.groupEpoch,
        fromGroupEpoch: summary.fromGroupEpoch,
        outcome: summary.outcome,
        causes: summary.causes.slice(0, REASONS_IN_LOG),
        causeCount: summary.causeCount,
        memberCount: summary.memberIds.length,
        partitionsMoved: summary.partitionsMoved.length,
        maxPausedMs: summary.maxPausedMs,
        totalMs: summary.completedAt - summary.startedAt,
      },
      'consumer group rebalance completed',
    );
    this.notify(this.consumerListeners, summary);
  }

  private recordRebalance(summary: RebalanceSummary): void {
    let list = this.history.get(summary.groupId);
    if (list === undefined) this.history.set(summary.groupId, (list = []));
    list.push(summary);
    if (list.length > this.historyLimit) list.splice(0, list.length - this.historyLimit);
    this.logger.info(
      {
        groupId: summary.groupId,
        generationId: summary.generationId,
        fromGenerationId: summary.fromGenerationId,
        outcome: summary.outcome,
        cause: summary.cause,
        partitionsMoved: summary.partitionsMoved.length,
        pausedMs: summary.pausedMs,
        protocol: summary.protocolName,
        leaderId: summary.leaderId,
        memberCount: summary.memberIds.length,
        members: summary.memberIds.slice(0, MEMBERS_IN_LOG),
        reasons: summary.reasons.slice(0, REASONS_IN_LOG).map((r) => `${r.kind}${r.memberId !== undefined ? ` ${r.memberId}` : ''}`),
        reasonCount: summary.reasonCount,
      },
      'group rebalance completed',
    );
    this.notify(this.listeners, summary);
  }
}

/** An upper estimate of the records' encoded size (keys, headers, lists), for MERGED_APPEND_BYTES. */
function roughBytes(records: readonly CoordinatorRecord[]): number {
  let n = 0;
  for (const r of records) {
    n += 128 + 3 * r.groupId.length;
    const v = r.value;
    if (v === null) continue;
    switch (r.type) {
      case 'offset-commit':
        n += 3 * r.topic.length + 3 * (r.value?.metadata.length ?? 0);
        break;
      case 'group-metadata':
        for (const m of r.value!.members) n += 256 + 3 * (m.memberId.length + m.clientId.length) + m.subscription.length + m.assignment.length;
        break;
      case 'cg-current':
        n += 64 + 32 * (r.value!.assigned.length + r.value!.pendingRevocation.length);
        for (const t of r.value!.assigned) n += 4 * t.partitions.length;
        for (const t of r.value!.pendingRevocation) n += 4 * t.partitions.length;
        break;
      case 'cg-target-member':
        for (const t of r.value!.partitions) n += 32 + 4 * t.partitions.length;
        break;
      case 'cg-partition-metadata':
        n += 64 * r.value!.topics.length;
        for (const t of r.value!.topics) n += 3 * t.name.length;
        break;
      case 'cg-member': {
        const m = r.value!;
        n += 256 + 3 * (m.clientId.length + m.clientHost.length + (m.instanceId?.length ?? 0) + (m.rackId?.length ?? 0) + (m.subscribedTopicRegex?.length ?? 0));
        for (const t of m.subscribedTopicNames) n += 3 * t.length + 4;
        for (const p of m.classicMemberMetadata?.supportedProtocols ?? []) n += 3 * p.name.length + p.metadata.length + 8;
        break;
      }
      default:
        n += 64;
    }
  }
  return n;
}

function dependsOnRecords(r: GroupResponse): boolean {
  if (r.kind === 'consumer-heartbeat') return r.body.errorCode === ErrorCode.NONE;
  return r.kind !== 'heartbeat' && r.kind !== 'leave';
}

/** The same answer with `errorCode` everywhere an error can be carried. */
function failedBody(r: GroupResponse, errorCode: number): unknown {
  switch (r.kind) {
    case 'join':
      return { ...r.body, errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, members: [] };
    case 'sync':
      return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
    case 'heartbeat':
      return { errorCode };
    case 'leave':
      return { errorCode, members: [] };
    case 'offset-commit':
      return { topics: r.body.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ ...p, errorCode })) })) };
    case 'offset-delete':
      return { errorCode, topics: [] };
    case 'delete-groups':
      return r.body.map((g) => ({ ...g, errorCode }));
    case 'consumer-heartbeat':
      return consumerHeartbeatError(errorCode);
  }
}

function consumerHeartbeatError(errorCode: number): ConsumerGroupHeartbeatResult {
  return { errorCode, errorMessage: null, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
}

/** An error answer built from the request alone. */
function failedAnswer(event: CoordinatorEvent, errorCode: number): unknown {
  switch (event.type) {
    case 'join':
      return joinError(event.request.memberId, errorCode);
    case 'sync':
      return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
    case 'heartbeat':
      return { errorCode };
    case 'leave':
      return { errorCode, members: [] };
    case 'offset-commit':
    case 'txn-offset-commit':
      return {
        topics: event.request.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
        })),
      };
    case 'offset-delete':
      return { errorCode, topics: [] };
    case 'delete-groups':
      return [...new Set(event.groupIds)].map((groupId) => ({ groupId, errorCode }));
    case 'consumer-heartbeat':
      return consumerHeartbeatError(errorCode);
    default:
      return undefined;
  }
}

function closedAnswer(event: CoordinatorEvent): unknown {
  return failedAnswer(event, ErrorCode.NOT_COORDINATOR);
}
