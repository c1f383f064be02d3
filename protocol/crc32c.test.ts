import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { crc32c, crc32cImplementation, crc32cPure, crc32cUpdate } from './crc32c.js';

/** Bit-at-a-time reference, obviously correct and slow. */
function reference(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of buf) {
    c ^= b;
    for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe('crc32c', () => {
  it('matches the published check values', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
    // RFC 3720 (iSCSI) appendix B.4 vectors
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)))).toBe(0x113fdb5c);
  });

  it('uses the native implementation when it is installed', () => {
    // @node-rs/crc32 ships prebuilt binaries for the common platforms; the pure
    // TypeScript path is the fallback elsewhere and is tested on its own above.
    expect(crc32cImplementation()).toBe('native');
    const big = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 131) & 0xff));
    expect(crc32c(big, 7, 4999)).toBe(crc32cPure(big, 7, 4999));
    expect(crc32c(big, 7, 4999)).toBe(reference(big.subarray(7, 4999)));
  });

  it('honours start and end', () => {
    const b = Buffer.from('xx123456789yyy');
    expect(crc32c(b, 2, 11)).toBe(0xe3069283);
    expect(crc32c(b, 5, 5)).toBe(0);
    expect(() => crc32c(b, 3, 100)).toThrow(RangeError);
    expect(() => crc32c(Buffer.alloc(1000), 0, 1001)).toThrow(RangeError);
  });

  it('agrees with a bitwise reference on any input and split', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1200 }), fc.nat(), (bytes, cut) => {
        const buf = Buffer.from(bytes);
        const want = reference(buf);
        expect(crc32c(buf)).toBe(want);
        expect(crc32cPure(buf)).toBe(want);
        const at = buf.length === 0 ? 0 : cut % (buf.length + 1);
        expect(crc32cUpdate(crc32cUpdate(0, buf, 0, at), buf, at)).toBe(want);
      }),
    );
  });
});
