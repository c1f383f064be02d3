import { describe, expect, it } from 'vitest';
import { murmur3x86_128 } from './key-hash.js';

/** The hash as the reference implementation's 16 output bytes (h1..h4, little-endian). */
function hex(buf: Buffer, seed: number, start = 0, end = buf.length): string {
  const out = new Uint32Array(4);
  murmur3x86_128(buf, start, end, seed, out);
  return Buffer.from(out.buffer).toString('hex');
}

describe('murmur3x86_128', () => {
  // vectors from the Python mmh3 package (hash128, x64arch=False), every tail length class
  it('matches the reference implementation', () => {
    expect(hex(Buffer.alloc(0), 0)).toBe('00000000000000000000000000000000');
    expect(hex(Buffer.from('hello'), 0)).toBe('a044242bf7de91dbb631db9ab631db9a');
    expect(hex(Buffer.from('key-12345'), 0)).toBe('e4bfabcfcdec69179c55ddc1818b6012');
    expect(hex(Buffer.from('The quick brown fox jumps over the lazy dog'), 0x9747b28c)).toBe('5ed5d48a7161b84c9c3aa78e3e79b6cd');
    expect(hex(Buffer.from(Array.from({ length: 31 }, (_, i) => i)), 1)).toBe('2c8bbfed859746f90bdf16b0d795e79a');
  });

  it('hashes a range of a larger buffer as the bytes alone', () => {
    const inner = Buffer.from('key-12345');
    const outer = Buffer.concat([Buffer.from('xyz'), inner, Buffer.from('tail')]);
    expect(hex(outer, 0, 3, 3 + inner.length)).toBe(hex(inner, 0));
  });
});
