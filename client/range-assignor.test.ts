import { describe, expect, it } from 'vitest';
import { rangeAssign } from './range-assignor.js';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from './consumer-protocol.js';

describe('rangeAssign', () => {
  it('gives contiguous ranges, the extra partitions to the first members by id', () => {
    const got = rangeAssign(
      [
        { memberId: 'c', topics: ['t'] },
        { memberId: 'a', topics: ['t', 'u'] },
        { memberId: 'b', topics: ['t'] },
      ],
      new Map([['t', 7], ['u', 2]]),
    );
    const parts = (id: string) => got.get(id)!.map((tp) => `${tp.topic}-${tp.partition}`);
    expect(parts('a')).toEqual(['t-0', 't-1', 't-2', 'u-0', 'u-1']);
    expect(parts('b')).toEqual(['t-3', 't-4']);
    expect(parts('c')).toEqual(['t-5', 't-6']);
  });

  it('leaves members without partitions when there are more members than partitions', () => {
    const got = rangeAssign([{ memberId: 'x', topics: ['t'] }, { memberId: 'y', topics: ['t'] }], new Map([['t', 1]]));
    expect(got.get('x')).toEqual([{ topic: 't', partition: 0 }]);
    expect(got.get('y')).toEqual([]);
  });
});

describe('consumer protocol bytes', () => {
  it('round-trips subscriptions and assignments', () => {
    expect(decodeSubscription(encodeSubscription(['a', 'b'])).topics).toEqual(['a', 'b']);
    const tps = [{ topic: 'a', partition: 0 }, { topic: 'a', partition: 2 }, { topic: 'b', partition: 1 }];
    expect(decodeAssignment(encodeAssignment(tps))).toEqual(tps);
    expect(decodeAssignment(Buffer.alloc(0))).toEqual([]);
  });

  it('reads a newer version by the fields it knows (appended fields are ignored)', () => {
    // Version 9 header, then a v0 body followed by bytes a newer version would append.
    const v0 = encodeAssignment([{ topic: 't', partition: 3 }]);
    const newer = Buffer.concat([Buffer.from([0, 9]), v0.subarray(2), Buffer.from([0, 0, 0, 0])]);
    expect(decodeAssignment(newer)).toEqual([{ topic: 't', partition: 3 }]);
  });
});
