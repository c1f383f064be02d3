// The transaction coordinator's pure state machine, per transactional id, after
// Kafka's TransactionMetadata and TransactionCoordinator: every function takes
// the id's metadata (undefined when unknown), the request and the time, and
// returns the answer plus, when the state changes, the next metadata to persist
// in __transaction_state before it becomes the state. No I/O, no clock: the
// driver (coordinator.ts) persists, writes markers and arms timers.
//
// Kafka's two-phase change (pendingState, then apply once the log append is
// durable) is the driver's: it marks the id `pending` while a record is being
// written and these functions answer CONCURRENT_TRANSACTIONS meanwhile.
import { ErrorCode } from '../../protocol/errors.js';

export const TXN_STATES = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence'] as const;
export type TxnState = (typeof TXN_STATES)[number];

/** Kafka's legal previous states of each state (TransactionState.validPreviousStates). */
export const LEGAL_PREVIOUS: Readonly<Record<TxnState, readonly TxnState[]>> = {
  Empty: ['Empty', 'CompleteCommit', 'CompleteAbort'],
  Ongoing: ['Ongoing', 'Empty', 'CompleteCommit', 'CompleteAbort'],
  PrepareCommit: ['Ongoing'],
  PrepareAbort: ['Ongoing', 'PrepareEpochFence'],
  CompleteCommit: ['PrepareCommit'],
  CompleteAbort: ['PrepareAbort'],
  Dead: ['Empty', 'CompleteCommit', 'CompleteAbort'],
  PrepareEpochFence: ['Ongoing'],
};

/** Kafka's wire/log id of a state (TransactionState.id); the index in TXN_STATES. */
export const stateId = (s: TxnState): number => TXN_STATES.indexOf(s);

/** Epochs are int16; an id whose epoch reached this gets a new producer id at epoch 0 (Kafka's isEpochExhausted). */
export const MAX_EPOCH = 32767;
const NO_EPOCH = -1;
const NO_PRODUCER_ID = -1n;

export interface TxnPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface TxnMetadata {
  readonly transactionalId: string;
  readonly producerId: bigint;
  /** The producer id before the last rotation (KIP-360 retries name it), else -1. */
  readonly previousProducerId: bigint;
  readonly producerEpoch: number;
  /** The epoch before the last bump, so a retried InitProducerId gets the same answer; -1 when none. */
  readonly lastProducerEpoch: number;
  readonly timeoutMs: number;
  readonly state: TxnState;
  /** Sorted by topic, then partition; no duplicates. */
  readonly partitions: readonly TxnPartition[];
  /** When the transaction began (first add); -1 when none is open. */
  readonly startMs: number;
  readonly lastUpdateMs: number;
}

/** Abort or commit markers owed to the transaction's partitions, at this producer id and epoch. */
export interface MarkerJob {
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly commit: boolean;
  readonly partitions: readonly TxnPartition[];
}

/**
 * One step's outcome: the error to answer with, and when the state changes the
 * metadata to persist (`next`) and the markers to write once it is durable.
 */
export interface TxnStep {
  readonly errorCode: number;
  readonly next?: TxnMetadata;
  readonly markers?: MarkerJob;
  /** InitProducerId only: what the client is told. */
  readonly producerId?: bigint;
  readonly producerEpoch?: number;
}

const fail = (errorCode: number): TxnStep => ({ errorCode });

function transition(from: TxnMetadata, to: TxnState, changes: Partial<TxnMetadata>, now: number): TxnMetadata {
  if (!LEGAL_PREVIOUS[to].includes(from.state)) throw new Error(`illegal transaction transition ${from.state} -> ${to} for ${from.transactionalId}`);
  return { ...from, ...changes, state: to, lastUpdateMs: now };
}

export const isEpochExhausted = (epoch: number): boolean => epoch >= MAX_EPOCH - 1;

export function partitionKey(p: TxnPartition): string {
  return `${p.topic}\u0000${p.partition}`;
}

function comparePartitions(a: TxnPartition, b: TxnPartition): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}

/** The union of two partition sets, sorted. */
export function mergePartitions(a: readonly TxnPartition[], b: readonly TxnPartition[]): TxnPartition[] {
  const byKey = new Map<string, TxnPartition>();
  for (const p of [...a, ...b]) byKey.set(partitionKey(p), { topic: p.topic, partition: p.partition });
  return [...byKey.values()].sort(comparePartitions);
}

export interface InitProducerIdInput {
  readonly transactionalId: string;
  readonly timeoutMs: number;
  /** -1/-1 unless a v3+ client names its current id and epoch (KIP-360). */
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly maxTimeoutMs: number;
  /** A fresh producer id, used only when the id is new or its epoch is exhausted. */
  readonly freshProducerId: bigint;
}

/** Whether InitProducerId may need `freshProducerId` (so the driver allocates one only then). */
export function needsFreshProducerId(meta: TxnMetadata | undefined): boolean {
  return meta === undefined || meta.state === 'Dead' || isEpochExhausted(meta.producerEpoch + 1);
}

/** The epoch bump of InitProducerId (Kafka's prepareIncrementProducerEpoch, with rotation when exhausted). */
function bumpForInit(meta: TxnMetadata, input: InitProducerIdInput, now: number): TxnStep {
  const expected = input.producerId === NO_PRODUCER_ID ? undefined : input;
  let epoch: number;
  let lastEpoch: number;
  if (!expected) {
    epoch = meta.producerEpoch + 1;
    lastEpoch = NO_EPOCH;
  } else if (expected.producerEpoch === NO_EPOCH || expected.producerEpoch === meta.producerEpoch) {
    epoch = meta.producerEpoch + 1;
    lastEpoch = meta.producerEpoch;
  } else if (expected.producerEpoch === meta.lastProducerEpoch) {
    // A retry of a bump whose answer the client never got: the same answer again.
    return { errorCode: ErrorCode.NONE, producerId: meta.producerId, producerEpoch: meta.producerEpoch };
  } else {
    return fail(ErrorCode.PRODUCER_FENCED);
  }
  const base = { timeoutMs: input.timeoutMs, partitions: [], startMs: -1 };
  const next = isEpochExhausted(epoch)
    ? transition(meta, 'Empty', { ...base, producerId: input.freshProducerId, previousProducerId: meta.producerId, producerEpoch: 0, lastProducerEpoch: NO_EPOCH }, now)
    : transition(meta, 'Empty', { ...base, producerEpoch: epoch, lastProducerEpoch: lastEpoch }, now);
  return { errorCode: ErrorCode.NONE, next, producerId: next.producerId, producerEpoch: next.producerEpoch };
}

/** The fence of an open transaction: epoch + 1 and an abort at that epoch (PrepareEpochFence then PrepareAbort). */
export function fenceAndAbort(meta: TxnMetadata, now: number): TxnStep {
  const fenced = transition(meta, 'PrepareEpochFence', { producerEpoch: meta.producerEpoch + 1, lastProducerEpoch: NO_EPOCH }, now);
  const next = transition(fenced, 'PrepareAbort', {}, now);
  return { errorCode: ErrorCode.NONE, next, markers: markersOf(next, false) };
}

function markersOf(meta: TxnMetadata, commit: boolean): MarkerJob {
  return { transactionalId: meta.transactionalId, producerId: meta.producerId, producerEpoch: meta.producerEpoch, commit, partitions: meta.partitions };
}

/** InitProducerId with a transactional id (Kafka's handleInitProducerId). */
export function initProducerId(meta: TxnMetadata | undefined, input: InitProducerIdInput, now: number, pending: boolean): TxnStep {
  if (input.transactionalId === '') return fail(ErrorCode.INVALID_REQUEST);
  if (input.timeoutMs <= 0 || input.timeoutMs > input.maxTimeoutMs) return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  if ((input.producerId === NO_PRODUCER_ID) !== (input.producerEpoch === NO_EPOCH)) return fail(ErrorCode.INVALID_REQUEST);
  if (meta === undefined || meta.state === 'Dead') {
    const next: TxnMetadata = {
      transactionalId: input.transactionalId,
      producerId: input.freshProducerId,
      previousProducerId: NO_PRODUCER_ID,
      producerEpoch: 0,
      lastProducerEpoch: NO_EPOCH,
      timeoutMs: input.timeoutMs,
      state: 'Empty',
      partitions: [],
      startMs: -1,
      lastUpdateMs: now,
    };
    return { errorCode: ErrorCode.NONE, next, producerId: next.producerId, producerEpoch: 0 };
  }
  if (pending) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
  if (input.producerId !== NO_PRODUCER_ID) {
    const valid =
      input.producerId === meta.producerId || (input.producerId === meta.previousProducerId && isEpochExhausted(input.producerEpoch));
    if (!valid) return fail(ErrorCode.PRODUCER_FENCED);
  }
  switch (meta.state) {
    case 'PrepareCommit':
    case 'PrepareAbort':
    case 'PrepareEpochFence':
      return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
    case 'Ongoing': {
      // Zombie fencing: abort the open transaction at a bumped epoch; the client retries (51) and then gets E+2.
      const step = fenceAndAbort(meta, now);
      return { ...step, errorCode: ErrorCode.CONCURRENT_TRANSACTIONS };
    }
    default:
      return bumpForInit(meta, input, now);
  }
}

/** The checks AddPartitionsToTxn, AddOffsetsToTxn and EndTxn share: the id's producer id, epoch and pending change. */
function checkProducer(meta: TxnMetadata | undefined, producerId: bigint, producerEpoch: number, pending: boolean): number {
  if (meta === undefined || meta.state === 'Dead' || meta.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
  if (meta.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
  if (pending) return ErrorCode.CONCURRENT_TRANSACTIONS;
  return ErrorCode.NONE;
}

/** AddPartitionsToTxn, and AddOffsetsToTxn with the group's __consumer_offsets partition (Kafka's handleAddPartitionsToTransaction). */
export function addPartitions(meta: TxnMetadata | undefined, producerId: bigint, producerEpoch: number, partitions: readonly TxnPartition[], now: number, pending: boolean): TxnStep {
  const err = checkProducer(meta, producerId, producerEpoch, pending);
  if (err !== ErrorCode.NONE) return fail(err);
  const m = meta!;
  if (m.state === 'PrepareCommit' || m.state === 'PrepareAbort' || m.state === 'PrepareEpochFence') return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
  const merged = mergePartitions(m.state === 'Ongoing' ? m.partitions : [], partitions);
  if (m.state === 'Ongoing' && merged.length === m.partitions.length) return { errorCode: ErrorCode.NONE };
  const startMs = m.state === 'Ongoing' ? m.startMs : now;
  return { errorCode: ErrorCode.NONE, next: transition(m, 'Ongoing', { partitions: merged, startMs }, now) };
}

/** Whether the partition is in the id's open transaction (produce and TxnOffsetCommit verification). */
export function verifyPartition(meta: TxnMetadata | undefined, producerId: bigint, producerEpoch: number, p: TxnPartition, pending: boolean): number {
  const err = checkProducer(meta, producerId, producerEpoch, false);
  if (err !== ErrorCode.NONE) return err;
  const m = meta!;
  if (pending || m.state === 'PrepareCommit' || m.state === 'PrepareAbort') return ErrorCode.CONCURRENT_TRANSACTIONS;
  if (m.state !== 'Ongoing' || !m.partitions.some((q) => q.topic === p.topic && q.partition === p.partition)) return ErrorCode.TRANSACTION_ABORTABLE;
  return ErrorCode.NONE;
}

/** EndTxn from the client (Kafka's handleEndTransaction): Ongoing moves to Prepare*, with its markers owed. */
export function endTxn(meta: TxnMetadata | undefined, producerId: bigint, producerEpoch: number, commit: boolean, now: number, pending: boolean): TxnStep {
  const err = checkProducer(meta, producerId, producerEpoch, pending);
  if (err !== ErrorCode.NONE) return fail(err);
  const m = meta!;
  switch (m.state) {
    case 'Ongoing': {
      const next = transition(m, commit ? 'PrepareCommit' : 'PrepareAbort', {}, now);
      return { errorCode: ErrorCode.NONE, next, markers: markersOf(next, commit) };
    }
    case 'CompleteCommit':
      return fail(commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE);
    case 'CompleteAbort':
      return fail(commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE);
    case 'PrepareCommit':
      return fail(commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE);
    case 'PrepareAbort':
      return fail(commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS);
    case 'PrepareEpochFence':
      return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
    default:
      return fail(ErrorCode.INVALID_TXN_STATE);
  }
}

/** After the markers are written: Prepare* moves to Complete*, the partitions cleared. */
export function complete(meta: TxnMetadata, now: number): TxnMetadata {
  if (meta.state !== 'PrepareCommit' && meta.state !== 'PrepareAbort') throw new Error(`${meta.transactionalId} has no transaction to complete (${meta.state})`);
  return transition(meta, meta.state === 'PrepareCommit' ? 'CompleteCommit' : 'CompleteAbort', { partitions: [] }, now);
}

/** Ongoing past its timeout, nothing pending: fence and abort (Kafka's abortTimedOutTransactions). */
export function isTimedOut(meta: TxnMetadata, now: number): boolean {
  return meta.state === 'Ongoing' && meta.startMs + meta.timeoutMs < now;
}

/** Empty or Complete* and idle past transactional.id.expiration.ms: to be removed (a tombstone). */
export function isExpired(meta: TxnMetadata, now: number, expirationMs: number): boolean {
  return (meta.state === 'Empty' || meta.state === 'CompleteCommit' || meta.state === 'CompleteAbort') && meta.lastUpdateMs + expirationMs <= now;
}
