// Which part of a compacted log a cleaning round may touch, and how dirty it
// is (Kafka's LogCleanerManager.cleanableOffsets and LogToClean), as a pure
// function of the log's segment summaries.
//
// firstDirty: the cleaner checkpoint, else the log start; one below the log
//   start or past the log end is reset to the log start.
// firstUncleanable: the smallest of the last stable offset (min of the first
//   unstable offset and the high watermark), the active segment's base and,
//   with min.compaction.lag.ms > 0, the base of the first dirty segment whose
//   largest timestamp is younger than the lag; never below firstDirty; then
//   rounded down to the base of the segment holding it, so a round never
//   cleans into that segment (nor the active one).
// ratio: cleanable bytes (segments from the one holding firstDirty up to
//   firstUncleanable) over those plus the clean bytes (segments starting
//   below firstDirty).
// needNow (KIP-354): a dirty sealed segment whose first batch is older than
//   max.compaction.lag.ms forces a round whatever the ratio.

export interface SegmentSummary {
  baseOffset: number;
  size: number;
  /** Largest record timestamp, else the file's modification time. */
  largestTimestamp: number;
  /** maxTimestamp of the first batch, -1 when unknown or empty. */
  firstBatchTimestamp: number;
}

export interface CleanableInput {
  /** Oldest first; the last one is the active segment. */
  segments: readonly SegmentSummary[];
  logStartOffset: number;
  logEndOffset: number;
  /** min(first unstable offset, high watermark). */
  lastStableOffset: number;
  /** The cleaner checkpoint for this log, if any. */
  checkpoint: number | undefined;
  now: number;
  minCompactionLagMs: number;
  maxCompactionLagMs: number;
}

export interface CleanableRange {
  firstDirty: number;
  firstUncleanable: number;
  /** The checkpoint was missing or out of the log's range and must be rewritten as firstDirty. */
  checkpointReset: boolean;
  cleanBytes: number;
  cleanableBytes: number;
  ratio: number;
  needNow: boolean;
}

/** Index of the segment holding `offset` (the last with baseOffset <= offset), 0 if before all. */
function floorIndex(segments: readonly SegmentSummary[], offset: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  let ans = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segments[mid]!.baseOffset <= offset) {
      ans = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return ans;
}

export function cleanableRange(input: CleanableInput): CleanableRange {
  const segs = input.segments;
  const active = segs[segs.length - 1]!;
  let firstDirty = input.checkpoint ?? input.logStartOffset;
  let checkpointReset = input.checkpoint === undefined;
  if (firstDirty < input.logStartOffset || firstDirty > input.logEndOffset) {
    firstDirty = input.logStartOffset;
    checkpointReset = true;
  }

  let bound = Math.min(input.lastStableOffset, active.baseOffset);
  if (input.minCompactionLagMs > 0) {
    for (let i = floorIndex(segs, firstDirty); i < segs.length - 1; i++) {
      const s = segs[i]!;
      if (s.baseOffset >= bound) break;
      if (s.largestTimestamp > input.now - input.minCompactionLagMs) {
        bound = Math.min(bound, s.baseOffset);
        break;
      }
    }
  }
  const uncleanable = Math.max(firstDirty, bound);
  const firstUncleanable = uncleanable >= active.baseOffset ? active.baseOffset : segs[floorIndex(segs, uncleanable)]!.baseOffset;

  let cleanBytes = 0;
  let cleanableBytes = 0;
  const dirtyFrom = floorIndex(segs, Math.min(firstDirty, firstUncleanable));
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    if (s.baseOffset < firstDirty) cleanBytes += s.size;
    if (i >= dirtyFrom && s.baseOffset < firstUncleanable) cleanableBytes += s.size;
  }
  const total = cleanBytes + cleanableBytes;

  let needNow = false;
  if (cleanableBytes > 0) {
    let earliest = Infinity;
    for (let i = floorIndex(segs, firstDirty); i < segs.length - 1; i++) {
      const t = segs[i]!.firstBatchTimestamp;
      if (t > 0 && t < earliest) earliest = t;
    }
    needNow = earliest < input.now - input.maxCompactionLagMs;
  }
  return { firstDirty, firstUncleanable, checkpointReset, cleanBytes, cleanableBytes, ratio: total === 0 ? 0 : cleanableBytes / total, needNow };
}

/** Kafka's eligibility: forced by max.compaction.lag.ms with something to clean, or a ratio above min.cleanable.dirty.ratio. */
export function isCleanable(r: CleanableRange, minCleanableRatio: number): boolean {
  return r.needNow || r.ratio > minCleanableRatio;
}
