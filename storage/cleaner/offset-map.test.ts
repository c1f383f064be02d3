import { describe, expect, it } from 'vitest';
import { OffsetMap } from './offset-map.js';

const key = (i: number): Buffer => Buffer.from(`key-${i}`);

describe('OffsetMap (Kafka SkimpyOffsetMap semantics)', () => {
  it('maps each key to the latest offset put, -1 when absent, and tracks the latest offset', () => {
    const m = new OffsetMap(24 * 1000, 0.9);
    expect(m.get(key(1))).toBe(-1);
    m.put(key(1), 5);
    m.put(key(2), 6);
    m.put(key(1), 9);
    expect([m.get(key(1)), m.get(key(2)), m.get(key(3))]).toEqual([9, 6, -1]);
    expect(m.size).toBe(2);
    expect(m.latestOffset).toBe(9);
    m.clear();
    expect([m.get(key(1)), m.size, m.latestOffset]).toEqual([-1, 0, -1]);
  });

  it('maps the empty key like any other, and a key given as a range of a larger buffer as the same key', () => {
    const m = new OffsetMap(24 * 1000, 0.9);
    m.put(Buffer.alloc(0), 3);
    m.put(Buffer.alloc(0), 4);
    expect([m.get(Buffer.alloc(0)), m.size]).toEqual([4, 1]);
    const wrapped = Buffer.from('xxkey-7yy');
    m.put(wrapped, 8, 2, 7);
    expect(m.get(key(7))).toBe(8);
    expect(m.get(wrapped, 1, 7)).toBe(-1);
  });

  it('takes floor(buffer / 24 * load factor) distinct keys, then refuses new ones but still overwrites', () => {
    const m = new OffsetMap(24 * 100, 0.5);
    for (let i = 0; i < 50; i++) expect(m.put(key(i), i)).toBe(true);
    expect(m.full).toBe(true);
    expect(m.put(key(50), 50)).toBe(false);
    expect(m.get(key(50))).toBe(-1);
    expect(m.put(key(3), 77)).toBe(true);
    expect(m.get(key(3))).toBe(77);
  });

  it('finds every key after the table grew many times (offsets above 2^32 too)', () => {
    const m = new OffsetMap(24 * 200_000, 1);
    for (let i = 0; i < 100_000; i++) m.put(key(i), 2 ** 40 + i);
    for (let i = 0; i < 100_000; i += 997) expect(m.get(key(i))).toBe(2 ** 40 + i);
    expect(m.get(key(100_001))).toBe(-1);
  });

  it('holds memory in proportion to the keys it maps, not to the configured buffer', () => {
    const big = new OffsetMap(128 * 1024 * 1024, 0.9);
    for (let i = 0; i < 1000; i++) big.put(key(i), i);
    expect(big.memoryBytes).toBeLessThan(1024 * 1024);
    const grown = big.memoryBytes;
    for (let i = 0; i < 100_000; i++) big.put(key(i), i);
    expect(big.memoryBytes).toBeGreaterThan(grown);
    big.clear();
    expect(big.memoryBytes).toBeLessThanOrEqual(grown);
  });

  it('refuses a buffer that cannot hold one key', () => {
    expect(() => new OffsetMap(23, 0.9)).toThrow(/no room/);
  });
});
