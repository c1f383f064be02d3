import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from './partitioner.js';

describe('murmur2', () => {
  // Values from Kafka's UtilsTest.testMurmur2, which pins the Java implementation.
  it('matches Kafka for its test vectors', () => {
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [s, h] of cases) expect(murmur2(Buffer.from(s)), s).toBe(h);
  });

  it('takes the positive hash modulo the partition count', () => {
    // (-790332482 & 0x7fffffff) % 50 = 1357151166 % 50
    expect(partitionForKey(Buffer.from('foobar'), 50)).toBe(16);
  });
});
