import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ErrorCode } from '../../protocol/errors.js';
import {
  addPartitions,
  complete,
  endTxn,
  initProducerId,
  isExpired,
  isTimedOut,
  LEGAL_PREVIOUS,
  MAX_EPOCH,
  verifyPartition,
  type InitProducerIdInput,
  type TxnMetadata,
  type TxnStep,
} from './state.js';
import { decodeTxnRecord, encodeTxnRecord } from './records.js';

const ID = 'tx';
const init = (over: Partial<InitProducerIdInput> = {}): InitProducerIdInput => ({
  transactionalId: ID,
  timeoutMs: 60_000,
  producerId: -1n,
  producerEpoch: -1,
  maxTimeoutMs: 900_000,
  freshProducerId: 7n,
  ...over,
});
const P0 = { topic: 't', partition: 0 };
const P1 = { topic: 't', partition: 1 };

function fresh(): TxnMetadata {
  return initProducerId(undefined, init(), 0, false).next!;
}
function ongoing(): TxnMetadata {
  return addPartitions(fresh(), 7n, 0, [P0], 10, false).next!;
}

describe('transaction state machine', () => {
  it('a new id gets the fresh producer id at epoch 0, Empty; the next init bumps the epoch', () => {
    const m = fresh();
    expect(m).toMatchObject({ producerId: 7n, producerEpoch: 0, state: 'Empty', partitions: [] });
    const again = initProducerId(m, init(), 5, false);
    expect(again).toMatchObject({ errorCode: 0, producerId: 7n, producerEpoch: 1 });
  });

  it('refuses timeouts out of bounds, an empty id and a half-given producer id/epoch', () => {
    expect(initProducerId(undefined, init({ timeoutMs: 0 }), 0, false).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect(initProducerId(undefined, init({ timeoutMs: 900_001 }), 0, false).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect(initProducerId(undefined, init({ transactionalId: '' }), 0, false).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(initProducerId(fresh(), init({ producerId: 7n }), 0, false).errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('fences a zombie: init on Ongoing bumps the epoch, aborts at it and answers CONCURRENT_TRANSACTIONS', () => {
    const step = initProducerId(ongoing(), init(), 20, false);
    expect(step.errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect(step.next).toMatchObject({ state: 'PrepareAbort', producerEpoch: 1, partitions: [P0] });
    expect(step.markers).toMatchObject({ commit: false, producerEpoch: 1, partitions: [P0] });
    // The zombie's calls now fail with PRODUCER_FENCED.
    expect(endTxn(step.next, 7n, 0, true, 21, false).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect(initProducerId(step.next, init(), 21, false).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    const done = complete(step.next!, 22);
    expect(initProducerId(done, init(), 23, false)).toMatchObject({ errorCode: 0, producerEpoch: 2 });
  });

  it('KIP-360: a given current epoch bumps, the last epoch is a retry, others are fenced', () => {
    const m = fresh();
    const bumped = initProducerId(m, init({ producerId: 7n, producerEpoch: 0 }), 1, false).next!;
    expect(bumped).toMatchObject({ producerEpoch: 1, lastProducerEpoch: 0 });
    expect(initProducerId(bumped, init({ producerId: 7n, producerEpoch: 0 }), 2, false)).toEqual({ errorCode: 0, producerId: 7n, producerEpoch: 1 });
    expect(initProducerId(bumped, init({ producerId: 7n, producerEpoch: 5 }), 2, false).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect(initProducerId(bumped, init({ producerId: 8n, producerEpoch: 1 }), 2, false).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
  });

  it('an exhausted epoch rotates to the fresh producer id at epoch 0', () => {
    const m = { ...fresh(), producerEpoch: MAX_EPOCH - 2 };
    expect(initProducerId(m, init({ freshProducerId: 99n }), 1, false).next).toMatchObject({ producerId: 99n, previousProducerId: 7n, producerEpoch: 0 });
  });

  it('adds partitions: Empty -> Ongoing with startMs; a subset writes nothing; Prepare* answers 51', () => {
    const m = ongoing();
    expect(m).toMatchObject({ state: 'Ongoing', startMs: 10, partitions: [P0] });
    expect(addPartitions(m, 7n, 0, [P0], 11, false)).toEqual({ errorCode: 0 });
    const more = addPartitions(m, 7n, 0, [P1, P0], 12, false).next!;
    expect(more).toMatchObject({ startMs: 10, partitions: [P0, P1] });
    const prep = endTxn(more, 7n, 0, true, 13, false).next!;
    expect(addPartitions(prep, 7n, 0, [P1], 14, false).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect(addPartitions(m, 8n, 0, [P1], 14, false).errorCode).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect(addPartitions(undefined, 7n, 0, [P1], 14, false).errorCode).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect(addPartitions(m, 7n, 1, [P1], 14, false).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect(addPartitions(m, 7n, 0, [P1], 14, true).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
  });

  it('ends transactions with the brief table of answers', () => {
    expect(endTxn(fresh(), 7n, 0, true, 1, false).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    const prepC = endTxn(ongoing(), 7n, 0, true, 20, false);
    expect(prepC.markers).toMatchObject({ commit: true, partitions: [P0] });
    expect(endTxn(prepC.next, 7n, 0, true, 21, false).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect(endTxn(prepC.next, 7n, 0, false, 21, false).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    const doneC = complete(prepC.next!, 22);
    expect(doneC).toMatchObject({ state: 'CompleteCommit', partitions: [] });
    expect(endTxn(doneC, 7n, 0, true, 23, false)).toEqual({ errorCode: 0 });
    expect(endTxn(doneC, 7n, 0, false, 23, false).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    const doneA = complete(endTxn(ongoing(), 7n, 0, false, 20, false).next!, 21);
    expect(endTxn(doneA, 7n, 0, false, 23, false)).toEqual({ errorCode: 0 });
    expect(endTxn(doneA, 7n, 0, true, 23, false).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    // A new transaction after a complete one starts afresh.
    expect(addPartitions(doneC, 7n, 0, [P1], 30, false).next).toMatchObject({ state: 'Ongoing', startMs: 30, partitions: [P1] });
  });

  it('verifies a partition for produce: absent -> TRANSACTION_ABORTABLE, in the transaction -> NONE', () => {
    const m = ongoing();
    expect(verifyPartition(m, 7n, 0, P0, false)).toBe(0);
    expect(verifyPartition(m, 7n, 0, P1, false)).toBe(ErrorCode.TRANSACTION_ABORTABLE);
    expect(verifyPartition(m, 7n, 1, P0, false)).toBe(ErrorCode.PRODUCER_FENCED);
  });

  it('times out an Ongoing transaction past startMs + timeout and expires idle ids', () => {
    const m = ongoing();
    expect(isTimedOut(m, 10 + 60_000)).toBe(false);
    expect(isTimedOut(m, 10 + 60_001)).toBe(true);
    expect(isExpired(m, 1e12, 1000)).toBe(false);
    expect(isExpired(fresh(), 999, 1000)).toBe(false);
    expect(isExpired(fresh(), 1000, 1000)).toBe(true);
  });

  it('round-trips metadata through Kafka\'s TransactionLog schemas (partitions null when Empty)', () => {
    for (const m of [fresh(), addPartitions(ongoing(), 7n, 0, [P1, { topic: 'u', partition: 3 }], 11, false).next!]) {
      const { key, value } = encodeTxnRecord({ transactionalId: ID, value: m });
      expect(key.subarray(0, 2).readInt16BE(0)).toBe(0);
      expect(value!.readInt16BE(0)).toBe(0);
      expect(decodeTxnRecord(key, value)).toEqual({ transactionalId: ID, value: { ...m, lastProducerEpoch: -1 } });
    }
    const empty = encodeTxnRecord({ transactionalId: ID, value: fresh() }).value!;
    // version, pid, epoch, timeout, status, then the partitions array length: -1 (null).
    expect(empty.readInt32BE(2 + 8 + 2 + 4 + 1)).toBe(-1);
    expect(decodeTxnRecord(encodeTxnRecord({ transactionalId: ID, value: null }).key, null)).toEqual({ transactionalId: ID, value: null });
  });

  it('random request sequences: epochs never go back, transitions are legal, replay of the records equals the live state', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('init' as const), current: fc.boolean() }),
      fc.record({ kind: fc.constant('add' as const), partition: fc.integer({ min: 0, max: 3 }), staleEpoch: fc.boolean() }),
      fc.record({ kind: fc.constant('end' as const), commit: fc.boolean() }),
      fc.record({ kind: fc.constant('complete' as const) }),
      fc.record({ kind: fc.constant('timeout' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        let meta: TxnMetadata | undefined;
        let now = 0;
        let nextPid = 100n;
        const log: (TxnMetadata | undefined)[] = [];
        const apply = (step: TxnStep) => {
          if (!step.next) return;
          if (meta) {
            expect(LEGAL_PREVIOUS[step.next.state]).toContain(meta.state);
            if (step.next.producerId === meta.producerId) expect(step.next.producerEpoch).toBeGreaterThanOrEqual(meta.producerEpoch);
            else expect(step.next.producerId).toBeGreaterThan(meta.producerId);
          }
          meta = step.next;
          log.push(meta);
        };
        for (const o of ops) {
          now += 1000;
          if (o.kind === 'init') {
            const given = o.current && meta ? { producerId: meta.producerId, producerEpoch: meta.producerEpoch } : {};
            apply(initProducerId(meta, init({ freshProducerId: nextPid++, ...given }), now, false));
          } else if (!meta) {
            continue;
          } else if (o.kind === 'add') {
            apply(addPartitions(meta, meta.producerId, meta.producerEpoch - (o.staleEpoch ? 1 : 0), [{ topic: 't', partition: o.partition }], now, false));
          } else if (o.kind === 'end') {
            apply(endTxn(meta, meta.producerId, meta.producerEpoch, o.commit, now, false));
          } else if (o.kind === 'complete') {
            if (meta.state === 'PrepareCommit' || meta.state === 'PrepareAbort') apply({ errorCode: 0, next: complete(meta, now) });
          } else if (isTimedOut(meta, now + 60_000)) {
            apply(initProducerId(meta, init({ freshProducerId: nextPid++ }), now, false));
          }
          // A partition is in the transaction only while one is open, never twice.
          if (meta) {
            const keys = meta.partitions.map((p) => `${p.topic}-${p.partition}`);
            expect(new Set(keys).size).toBe(keys.length);
            if (meta.state === 'Empty' || meta.state.startsWith('Complete')) expect(keys).toEqual([]);
          }
        }
        const last = log.at(-1);
        if (last) {
          const { key, value } = encodeTxnRecord({ transactionalId: ID, value: last });
          expect(decodeTxnRecord(key, value)!.value).toEqual({ ...last, lastProducerEpoch: -1, previousProducerId: -1n });
        }
      }),
      { numRuns: 300 },
    );
  });
});
