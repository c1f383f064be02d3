// Kafka's endOffsetFor rules over the epochs a log holds.
import { describe, it, expect } from 'vitest';
import { endOffsetForEpoch, LeaderEpochCache, type EpochStart } from './leader-epochs.js';

describe('endOffsetForEpoch', () => {
  // epoch 0 wrote 0-9, epoch 2 wrote 10-19, epoch 5 is current from 20 (log end 25)
  const epochs: EpochStart[] = [{ epoch: 0, startOffset: 0 }, { epoch: 2, startOffset: 10 }];

  it('answers as Kafka\'s leader-epoch cache', () => {
    expect(endOffsetForEpoch(epochs, 5, 5, 25)).toEqual({ epoch: 5, endOffset: 25 });
    expect(endOffsetForEpoch(epochs, 0, 5, 25)).toEqual({ epoch: 0, endOffset: 10 });
    // an epoch the log never saw: the largest below it, ending where the next begins
    expect(endOffsetForEpoch(epochs, 1, 5, 25)).toEqual({ epoch: 0, endOffset: 10 });
    expect(endOffsetForEpoch(epochs, 3, 5, 25)).toEqual({ epoch: 2, endOffset: 25 });
    expect(endOffsetForEpoch(epochs, 6, 5, 25)).toEqual({ epoch: -1, endOffset: -1 });
    expect(endOffsetForEpoch(epochs, -1, 5, 25)).toEqual({ epoch: -1, endOffset: -1 });
  });

  it('an epoch older than every one the log holds ends where the log\'s first epoch starts', () => {
    expect(endOffsetForEpoch([{ epoch: 3, startOffset: 40 }], 1, 4, 50)).toEqual({ epoch: 1, endOffset: 40 });
  });
});

describe('LeaderEpochCache', () => {
  it('joins the epochs read from disk with those appended since, and folds those below the log start into it', async () => {
    const scans: [number, number][] = [];
    const cache = new LeaderEpochCache(async (from, to) => {
      scans.push([from, to]);
      return [{ epoch: 0, startOffset: 0 }, { epoch: 0, startOffset: 4 }, { epoch: 1, startOffset: 8 }];
    });
    cache.reset(12);
    cache.append(1, 12);
    cache.append(3, 15);
    cache.append(3, 16);
    expect(await cache.epochs(0)).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 1, startOffset: 8 }, { epoch: 3, startOffset: 15 }]);
    expect(await cache.epochs(10)).toEqual([{ epoch: 1, startOffset: 10 }, { epoch: 3, startOffset: 15 }]);
    expect(scans).toEqual([[0, 12]]); // read once
    cache.reset(5);
    await cache.epochs(0);
    expect(scans).toEqual([[0, 12], [0, 5]]);
  });
});
