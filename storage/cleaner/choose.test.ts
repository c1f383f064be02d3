import { describe, expect, it } from 'vitest';
import { cleanableRange, isCleanable, type CleanableInput, type SegmentSummary } from './choose.js';

const NOW = 1_000_000;
/** Segments of 100 bytes at bases 0, 10, 20, ... (the last one active), all written at `ts`. */
function segs(n: number, ts = NOW - 10_000): SegmentSummary[] {
  return Array.from({ length: n }, (_, i) => ({ baseOffset: i * 10, size: 100, largestTimestamp: ts, firstBatchTimestamp: ts }));
}
function input(over: Partial<CleanableInput> = {}): CleanableInput {
  const segments = over.segments ?? segs(5);
  const leo = segments[segments.length - 1]!.baseOffset + 5;
  return { segments, logStartOffset: 0, logEndOffset: leo, lastStableOffset: leo, checkpoint: undefined, now: NOW, minCompactionLagMs: 0, maxCompactionLagMs: Number.MAX_SAFE_INTEGER, ...over };
}

describe('cleanableRange (Kafka LogCleanerManager)', () => {
  it('a log never cleaned is all dirty up to the active segment; the checkpoint is then written', () => {
    const r = cleanableRange(input());
    expect(r).toMatchObject({ firstDirty: 0, firstUncleanable: 40, cleanBytes: 0, cleanableBytes: 400, ratio: 1, checkpointReset: true });
    expect(isCleanable(r, 0.5)).toBe(true);
  });

  it('the ratio counts segments below the checkpoint as clean; at exactly min.cleanable.dirty.ratio it waits', () => {
    const r = cleanableRange(input({ checkpoint: 20 }));
    expect(r).toMatchObject({ firstDirty: 20, cleanBytes: 200, cleanableBytes: 200, ratio: 0.5, checkpointReset: false });
    expect(isCleanable(r, 0.5)).toBe(false);
    expect(isCleanable(r, 0.49)).toBe(true);
  });

  it('a checkpoint below the log start or past the log end restarts from the log start', () => {
    expect(cleanableRange(input({ checkpoint: 3, logStartOffset: 10 }))).toMatchObject({ firstDirty: 10, checkpointReset: true });
    expect(cleanableRange(input({ checkpoint: 999 }))).toMatchObject({ firstDirty: 0, checkpointReset: true });
  });

  it('stops at the segment holding the last stable offset', () => {
    expect(cleanableRange(input({ lastStableOffset: 25 })).firstUncleanable).toBe(20);
    expect(cleanableRange(input({ lastStableOffset: 20 })).firstUncleanable).toBe(20);
  });

  it('min.compaction.lag.ms protects the segments written within the lag', () => {
    const s = segs(5);
    s[2]!.largestTimestamp = NOW - 50;
    const r = cleanableRange(input({ segments: s, minCompactionLagMs: 100 }));
    expect(r.firstUncleanable).toBe(20);
    expect(cleanableRange(input({ segments: s, minCompactionLagMs: 40 })).firstUncleanable).toBe(40);
  });

  it('max.compaction.lag.ms forces a round below the ratio; nothing to clean, nothing forced', () => {
    const s = segs(5);
    s[3]!.firstBatchTimestamp = NOW - 5_000;
    const lagged = cleanableRange(input({ segments: s, checkpoint: 30, maxCompactionLagMs: 1_000 }));
    expect(lagged.ratio).toBeLessThan(0.5);
    expect(lagged.needNow).toBe(true);
    expect(isCleanable(lagged, 0.5)).toBe(true);
    expect(cleanableRange(input({ segments: s, checkpoint: 30, maxCompactionLagMs: 10_000 })).needNow).toBe(false);
    expect(cleanableRange(input({ segments: s, checkpoint: 40, maxCompactionLagMs: 1_000 })).needNow).toBe(false);
  });

  it('a log with only its active segment has nothing to clean', () => {
    const r = cleanableRange(input({ segments: segs(1) }));
    expect([r.cleanableBytes, isCleanable(r, 0)]).toEqual([0, false]);
  });
});
