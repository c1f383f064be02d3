// Which leader epoch wrote which offsets, as Kafka's leader-epoch cache
// (LeaderEpochFileCache) knows it: the start offset of every epoch, so that
// OffsetForLeaderEpoch can say where an epoch ended (the start of the next
// greater epoch).
//
// Kafka keeps the cache in a leader-epoch-checkpoint file. Here it is rebuilt
// instead: epochs of batches appended since the log was loaded are recorded as
// they are appended (one comparison per append), and those of the batches that
// were on disk at load are read from their headers on the first question, once.
// A truncation reloads the log and starts the cache afresh.

export interface EpochStart {
  epoch: number;
  startOffset: number;
}

/** Reads the partitionLeaderEpoch and base offset of every batch in [from, to). */
export type EpochScan = (from: number, to: number) => Promise<EpochStart[]>;

/** Start offsets of each new epoch in batches, oldest first (epochs only grow). */
function pushEpoch(list: EpochStart[], epoch: number, startOffset: number): void {
  const last = list[list.length - 1];
  if (!last || epoch > last.epoch) list.push({ epoch, startOffset });
}

export class LeaderEpochCache {
  private loadedEnd = 0;
  private appended: EpochStart[] = [];
  private loaded: Promise<EpochStart[]> | null = null;

  constructor(private readonly scan: EpochScan) {}

  /** The log was (re)loaded with data up to `nextOffset`. */
  reset(nextOffset: number): void {
    this.loadedEnd = nextOffset;
    this.appended = [];
    this.loaded = null;
  }

  /** A batch stamped with `epoch` was appended at `baseOffset`. */
  append(epoch: number, baseOffset: number): void {
    pushEpoch(this.appended, epoch, baseOffset);
  }

  /** Every epoch's start offset, the ones below `logStartOffset` folded into it as Kafka's truncateFromStart does. */
  async epochs(logStartOffset: number): Promise<EpochStart[]> {
    this.loaded ??= this.scan(logStartOffset, this.loadedEnd).then((batches) => {
      const out: EpochStart[] = [];
      for (const b of batches) pushEpoch(out, b.epoch, b.startOffset);
      return out;
    });
    let history: EpochStart[];
    try {
      history = await this.loaded;
    } catch (err) {
      this.loaded = null; // a failed read is asked again next time
      throw err;
    }
    const all: EpochStart[] = [];
    for (const e of [...history, ...this.appended]) pushEpoch(all, e.epoch, e.startOffset);
    const firstKept = all.findIndex((e) => e.startOffset > logStartOffset);
    const below = firstKept < 0 ? all.length : firstKept;
    if (below === 0) return all;
    return [{ epoch: all[below - 1]!.epoch, startOffset: logStartOffset }, ...all.slice(below)];
  }
}

/**
 * Kafka's endOffsetFor(requestedEpoch, logEndOffset), for a leader whose
 * current epoch starts (at the latest) at the log end: the requested epoch
 * itself and the log end offset for the current epoch; else the largest known
 * epoch not above the requested one with the start offset of the next greater
 * epoch; (-1, -1) for an epoch above every known one (or -1 asked).
 */
export function endOffsetForEpoch(
  epochs: readonly EpochStart[],
  requested: number,
  currentEpoch: number,
  logEndOffset: number,
): { epoch: number; endOffset: number } {
  const undefinedAnswer = { epoch: -1, endOffset: -1 };
  if (requested < 0 || requested > currentEpoch) return undefinedAnswer;
  if (requested === currentEpoch) return { epoch: requested, endOffset: logEndOffset };
  const all = [...epochs];
  pushEpoch(all, currentEpoch, logEndOffset);
  const higher = all.find((e) => e.epoch > requested);
  if (!higher) return undefinedAnswer;
  const floor = all.filter((e) => e.epoch <= requested).pop();
  return { epoch: floor ? floor.epoch : requested, endOffset: higher.startOffset };
}
