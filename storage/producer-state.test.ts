import { describe, expect, it } from 'vitest';
import type { BatchProducerInfo } from './batch.js';
import type { EndTxnMarker } from './control-batch.js';
import { isLogError } from './errors.js';
import { incrementSequence, ProducerStateManager, type AppendOrigin } from './producer-state.js';

const INT32_MAX = 0x7fffffff;

function info(seq: number, count = 1, epoch = 0, extra: Partial<BatchProducerInfo> = {}): BatchProducerInfo {
  return { producerId: 1, producerEpoch: epoch, baseSequence: seq, lastOffsetDelta: count - 1, maxTimestamp: Date.now(), isTransactional: false, isControl: false, ...extra };
}

/** Appends like the log does; returns 'dup@<offset>', 'ok' or the error code. */
function append(m: ProducerStateManager, b: BatchProducerInfo, firstOffset: number, origin: AppendOrigin = 'client', marker: EndTxnMarker | null = null): string {
  const pa = m.beginAppend(origin);
  const dup = pa.findDuplicate(b);
  if (dup) return `dup@${dup.firstOffset}`;
  try {
    pa.appendBatch(b, firstOffset, firstOffset + b.lastOffsetDelta, marker);
  } catch (e) {
    if (isLogError(e)) return e.code;
    throw e;
  }
  pa.commit();
  return 'ok';
}

describe('ProducerStateManager (Kafka rules)', () => {
  it('detects duplicates among the last 5 batches only', () => {
    const m = new ProducerStateManager('t-0');
    for (let i = 0; i < 7; i++) expect(append(m, info(i * 2, 2), i * 2)).toBe('ok');
    expect(m.get(1)!.batches.length).toBe(5);
    expect(append(m, info(12, 2), 99)).toBe('dup@12');
    expect(append(m, info(4, 2), 99)).toBe('dup@4');
    // batch 0..1 and 2..3 fell out: a retry of them is out of order
    expect(append(m, info(2, 2), 99)).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    // a partial overlap is not a duplicate
    expect(append(m, info(12, 1), 99)).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
  });

  it('checks epochs: older is INVALID_PRODUCER_EPOCH, newer must start at 0 and clears the batches', () => {
    const m = new ProducerStateManager('t-0');
    expect(append(m, info(0, 1, 3), 0)).toBe('ok');
    expect(append(m, info(1, 1, 2), 1)).toBe('INVALID_PRODUCER_EPOCH');
    expect(append(m, info(1, 1, 4), 1)).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(append(m, info(0, 1, 4), 1)).toBe('ok');
    expect(m.get(1)!.batches.map((b) => b.firstOffset)).toEqual([1]);
    // a duplicate must match the epoch too
    expect(append(m, info(0, 1, 3), 2)).toBe('INVALID_PRODUCER_EPOCH');
  });

  it('accepts any first sequence from an unknown producer, and sequences wrap at 2^31-1', () => {
    const m = new ProducerStateManager('t-0');
    expect(append(m, info(INT32_MAX - 1, 2), 0)).toBe('ok');
    expect(incrementSequence(INT32_MAX - 1, 1)).toBe(INT32_MAX);
    expect(incrementSequence(INT32_MAX, 1)).toBe(0);
    expect(append(m, info(0, 1), 2)).toBe('ok');
    expect(append(m, info(INT32_MAX - 1, 2), 9)).toBe('dup@0');
  });

  it('validates every batch of one append against the ones before it, committing none on failure', () => {
    const m = new ProducerStateManager('t-0');
    expect(append(m, info(0, 1), 0)).toBe('ok');
    const pa = m.beginAppend('client');
    pa.appendBatch(info(1, 2), 1, 2);
    pa.appendBatch(info(3, 2), 3, 4);
    expect(() => pa.appendBatch(info(9, 1), 5, 5)).toThrow(/OUT_OF_ORDER/);
    expect(m.get(1)!.lastSeq).toBe(0);
  });

  it('coordinator appends check epochs but not sequences; replays check nothing', () => {
    const m = new ProducerStateManager('t-0');
    expect(append(m, info(0, 1, 5), 0)).toBe('ok');
    expect(append(m, info(7, 1, 5), 1, 'coordinator')).toBe('ok');
    expect(append(m, info(9, 1, 4), 2, 'coordinator')).toBe('INVALID_PRODUCER_EPOCH');
    expect(append(m, info(9, 1, 4), 2, 'replay')).toBe('ok');
  });

  it('tracks transactions: a plain batch inside an open one is INVALID_TXN_STATE, a marker ends it', () => {
    const m = new ProducerStateManager('t-0');
    expect(append(m, info(0, 1, 0, { isTransactional: true }), 10)).toBe('ok');
    expect(m.get(1)!.currentTxnFirstOffset).toBe(10);
    expect(append(m, info(1, 1), 11)).toBe('INVALID_TXN_STATE');
    expect(m.firstUnstableOffset()).toBe(10);
    expect(append(m, info(-1, 1, 0, { isControl: true, isTransactional: true }), 11, 'coordinator', { commit: true, coordinatorEpoch: 3 })).toBe('ok');
    expect(m.get(1)!.currentTxnFirstOffset).toBe(-1);
    expect(m.firstUnstableOffset()).toBe(-1);
    expect(append(m, info(1, 1), 12)).toBe('ok');
  });

  it('reports the transaction a marker completes, and fences markers from an older coordinator epoch', () => {
    const m = new ProducerStateManager('t-0');
    append(m, info(0, 2, 0, { isTransactional: true }), 10);
    const marker = info(-1, 1, 0, { isControl: true, isTransactional: true });
    const pa = m.beginAppend('coordinator');
    pa.appendBatch(marker, 12, 12, { commit: false, coordinatorEpoch: 4 });
    pa.commit();
    expect(pa.completed).toEqual([{ producerId: 1, firstOffset: 10, lastOffset: 12, aborted: true }]);
    expect(m.get(1)!.coordinatorEpoch).toBe(4);
    expect(append(m, marker, 13, 'coordinator', { commit: true, coordinatorEpoch: 3 })).toBe('TRANSACTION_COORDINATOR_FENCED');
    expect(append(m, marker, 13, 'replay', { commit: true, coordinatorEpoch: 3 })).toBe('ok');
  });

  it('forgets producers below the log start or idle past producer.id.expiration.ms', () => {
    const m = new ProducerStateManager('t-0', { producerIdExpirationMs: 1000 });
    append(m, info(0, 1, 0, { maxTimestamp: 5000 }), 0);
    append(m, { ...info(0, 1, 0, { maxTimestamp: 5500 }), producerId: 2 }, 1);
    m.removeExpired(6000);
    expect([m.get(1), m.get(2)?.producerId]).toEqual([undefined, 2]);
    m.truncateHead(2);
    expect(m.size).toBe(0);
  });

  it('snapshots round-trip and reject damaged bytes', () => {
    const m = new ProducerStateManager('t-0');
    for (let i = 0; i < 7; i++) append(m, info(i, 1, 2), 100 + i);
    append(m, { ...info(0, 3, 0, { isTransactional: true }), producerId: 2 ** 40 }, 200);
    const snap = m.serialize();
    const n = new ProducerStateManager('t-0');
    expect(n.load(snap)).toBe(true);
    expect([...n.entries()]).toEqual([...m.entries()]);
    for (const i of [0, 7, 20, snap.length - 1]) {
      const bad = Buffer.from(snap);
      bad[i] = (bad[i]! ^ 0x10) & 0xff;
      expect(new ProducerStateManager('t-0').load(bad)).toBe(false);
    }
    expect(n.load(snap.subarray(0, snap.length - 4))).toBe(false);
  });
});
