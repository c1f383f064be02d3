// Issue 14: the cleaner against a model. Random keyed writes (tombstones,
// idempotent producers), rolls, clock jumps and cleaning rounds with random
// offset-map capacities; after every round the log must read as a subset of
// what was written (same offsets, keys, values, timestamps), keep everything
// from the checkpoint on, fold to the model's latest value per key, hold each
// key once in its cleaned section, keep each producer's last batch, and keep a
// tombstone until delete.retention.ms after the round that first rewrote its segment.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchLastOffset, readInt64, OFF_PRODUCER_ID } from '../batch.js';
import type { Segment } from '../segment.js';
import { abortedIn, buildOffsetMap, cleanGroup, groupSegments } from './clean.js';
import { OffsetMap } from './offset-map.js';
import { LocalEngine } from './engine.js';
import type { LastRecord } from './filter.js';
import { batch, harness, readOpts, readRecords, swapIn, writeSegment, type Harness, type ReadRec } from './test-segments.js';
import { decodeBatchSync } from '../../protocol/record-batch.js';

const RETENTION = 1000;
const KEYS = 6;

type Op =
  | { kind: 'write'; recs: { key: number; tombstone: boolean }[]; producer: number }
  | { kind: 'roll' }
  | { kind: 'clock'; ms: number }
  | { kind: 'clean'; mapKeys: number; segmentBytes: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('write' as const), recs: fc.array(fc.record({ key: fc.nat(KEYS - 1), tombstone: fc.boolean() }), { minLength: 1, maxLength: 4 }), producer: fc.nat(2) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'roll' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clock' as const), ms: fc.nat(2 * RETENTION) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('clean' as const), mapKeys: fc.integer({ min: 1, max: KEYS + 2 }), segmentBytes: fc.constantFrom(300, 2000, 1 << 20) }) },
);

interface Written extends ReadRec {
  /** now when the first round that cleaned this offset ran. */
  firstCleanedAt?: number;
}

class Model {
  sealed: Segment[] = [];
  active: Buffer[] = [];
  activeBase = 0;
  next = 0;
  now = 1_000_000;
  firstDirty = 0;
  written = new Map<number, Written>();
  lastOfProducer = new Map<number, { lastOffset: number; epoch: number }>();
  seq = new Map<number, number>();
  constructor(readonly h: Harness) {}

  write(op: Extract<Op, { kind: 'write' }>): void {
    const pid = op.producer === 0 ? -1 : op.producer;
    const recs = op.recs.map((r, i) => ({ key: `k${r.key}`, value: r.tombstone ? null : `v${this.next + i}`, timestamp: this.now + i }));
    const seq = this.seq.get(pid) ?? 0;
    const b = batch({ records: recs, producerId: pid, producerEpoch: pid < 0 ? -1 : 0, baseSequence: pid < 0 ? -1 : seq }, this.next);
    if (pid >= 0) {
      this.seq.set(pid, seq + recs.length);
      this.lastOfProducer.set(pid, { lastOffset: this.next + recs.length - 1, epoch: 0 });
    }
    recs.forEach((r, i) => this.written.set(this.next + i, { offset: this.next + i, ...r }));
    this.active.push(b);
    this.next += recs.length;
  }

  async roll(): Promise<void> {
    if (this.active.length === 0) return;
    this.sealed.push(await writeSegment(this.h, this.activeBase, this.active));
    this.active = [];
    this.activeBase = this.next;
  }

  async clean(mapKeys: number, segmentBytes: number): Promise<void> {
    if (this.sealed.length === 0 || this.firstDirty >= this.activeBase) return;
    const engine = new LocalEngine(new OffsetMap(mapKeys * 24, 1));
    const opts = readOpts();
    const dirty = this.sealed.filter((s) => s.nextOffset > this.firstDirty);
    const r = await buildOffsetMap(this.h.source, dirty, this.firstDirty, this.activeBase, engine, 4096, opts);
    expect(r.endOffset).toBeGreaterThan(this.firstDirty);
    expect(r.endOffset).toBeLessThanOrEqual(this.activeBase);
    const toClean = this.sealed.filter((s) => s.baseOffset < r.endOffset);
    const groups = await groupSegments(toClean, segmentBytes, 10 << 20, this.activeBase);
    expect(groups.flat()).toEqual(toClean);
    const active = [...this.lastOfProducer].map(([pid, l]): [number, LastRecord] => [pid, { lastDataOffset: l.lastOffset, producerEpoch: l.epoch }]);
    await engine.beginFilter({ now: this.now, deleteRetentionMs: RETENTION, highWatermark: this.next, activeProducers: active, aborted: abortedIn(toClean) });
    const ctx = { ...opts, engine };
    const replaced: Segment[] = [];
    for (const g of groups) {
      const { cleaned } = await cleanGroup(this.h.source, g, ctx);
      const seg = await swapIn(this.h, g, cleaned);
      expect(seg.writtenSize).toBe(cleaned.size); // every written batch valid
      replaced.push(seg);
    }
    const rest = this.sealed.slice(toClean.length);
    this.sealed = [...replaced, ...rest];
    // a kept tombstone gets its delete horizon in the first round that rewrites its segment (Kafka's filterTo)
    const rewrittenBelow = rest[0]?.baseOffset ?? this.activeBase;
    for (const w of this.written.values()) if (w.offset < rewrittenBelow) w.firstCleanedAt ??= this.now;
    this.firstDirty = r.endOffset;
  }

  async check(): Promise<void> {
    const read: ReadRec[] = [];
    for (const s of this.sealed) read.push(...(await readRecords(s)));
    for (const b of this.active) for (const r of decodeBatchSync(b).records) read.push({ offset: Number(r.offset), key: r.key?.toString() ?? null, value: r.value?.toString() ?? null, timestamp: Number(r.timestamp) });
    // a subset of what was written, in offset order, unchanged
    let prev = -1;
    const seen = new Set<string>();
    for (const r of read) {
      expect(r.offset).toBeGreaterThan(prev);
      prev = r.offset;
      const w = this.written.get(r.offset)!;
      expect({ offset: r.offset, key: r.key, value: r.value, timestamp: r.timestamp }).toEqual({ offset: w.offset, key: w.key, value: w.value, timestamp: w.timestamp });
      if (r.offset < this.firstDirty) {
        expect(seen.has(r.key!)).toBe(false);
        seen.add(r.key!);
      }
    }
    // everything from the checkpoint on is still there
    const dirtyWritten = [...this.written.values()].filter((w) => w.offset >= this.firstDirty).length;
    expect(read.filter((r) => r.offset >= this.firstDirty).length).toBe(dirtyWritten);
    // the same latest value per key
    const fold = (recs: Iterable<ReadRec>): Map<string, string> => {
      const m = new Map<string, string>();
      for (const r of recs) {
        if (r.value === null) m.delete(r.key!);
        else m.set(r.key!, r.value);
      }
      return m;
    };
    expect(fold(read)).toEqual(fold([...this.written.values()].sort((a, b) => a.offset - b.offset)));
    // a latest tombstone stays delete.retention.ms after its first cleaning
    const latest = new Map<string, Written>();
    for (const w of [...this.written.values()].sort((a, b) => a.offset - b.offset)) latest.set(w.key!, w);
    const present = new Set(read.map((r) => r.offset));
    for (const w of latest.values()) {
      if (w.value !== null || present.has(w.offset)) continue;
      expect(w.firstCleanedAt).toBeDefined();
      expect(this.now).toBeGreaterThanOrEqual(w.firstCleanedAt! + RETENTION);
    }
    // each producer's last batch survives (empty if need be)
    const lastOffsets = new Set<string>();
    for (const s of this.sealed) {
      for (const b of await s.readBatches(0, s.writtenSize, s.writtenSize, true)) lastOffsets.add(`${readInt64(b, OFF_PRODUCER_ID)}:${batchLastOffset(b)}`);
    }
    for (const b of this.active) lastOffsets.add(`${readInt64(b, OFF_PRODUCER_ID)}:${batchLastOffset(b)}`);
    for (const [pid, l] of this.lastOfProducer) expect(lastOffsets.has(`${pid}:${l.lastOffset}`)).toBe(true);
  }
}

describe('log cleaning against a model', () => {
  it('keeps the latest record per key, every offset it keeps unchanged, tombstones for delete.retention.ms', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 60 }), async (ops) => {
        const m = new Model(await harness());
        for (const op of ops) {
          if (op.kind === 'write') m.write(op);
          else if (op.kind === 'roll') await m.roll();
          else if (op.kind === 'clock') m.now += op.ms;
          else {
            await m.clean(op.mapKeys, op.segmentBytes);
            await m.check();
          }
        }
        await m.roll();
        await m.clean(KEYS + 2, 1 << 20);
        await m.check();
      }),
      { numRuns: 150 },
    );
  });
});
