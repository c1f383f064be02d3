// MurmurHash3_x86_128 of a byte range, in plain 32-bit JS arithmetic: the
// cleaner's key hash. It replaces MD5 (Kafka's SkimpyOffsetMap), whose
// crypto.hash call cost 4-7 µs a key; this costs a few hundred ns and
// allocates nothing. Collision safety is the same order as MD5's for the
// keys producers write: 128 bits, so the chance that two of n keys share a
// hash is about n^2 / 2^129 (1e-26 for a billion keys). Neither hash resists
// a producer who crafts colliding keys (MD5 collisions are cheap to compute),
// and Kafka accepts that risk too.

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function word(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

/** Writes the hash of buf[start, end) into `out` as h1..h4 (out must hold 4 words). */
export function murmur3x86_128(buf: Uint8Array, start: number, end: number, seed: number, out: Uint32Array): void {
  const len = end - start;
  let h1 = seed | 0;
  let h2 = h1;
  let h3 = h1;
  let h4 = h1;
  let i = start;
  for (const blocksEnd = start + (len & ~15); i < blocksEnd; i += 16) {
    let k1 = word(buf, i);
    let k2 = word(buf, i + 4);
    let k3 = word(buf, i + 8);
    let k4 = word(buf, i + 12);
    k1 = Math.imul(rotl(Math.imul(k1, C1), 15), C2);
    h1 ^= k1;
    h1 = (Math.imul(rotl(h1, 19) + h2, 5) + 0x561ccd1b) | 0;
    k2 = Math.imul(rotl(Math.imul(k2, C2), 16), C3);
    h2 ^= k2;
    h2 = (Math.imul(rotl(h2, 17) + h3, 5) + 0x0bcaa747) | 0;
    k3 = Math.imul(rotl(Math.imul(k3, C3), 17), C4);
    h3 ^= k3;
    h3 = (Math.imul(rotl(h3, 15) + h4, 5) + 0x96cd1c35) | 0;
    k4 = Math.imul(rotl(Math.imul(k4, C4), 18), C1);
    h4 ^= k4;
    h4 = (Math.imul(rotl(h4, 13) + h1, 5) + 0x32ac3b17) | 0;
  }
  // the tail: up to 15 bytes, little-endian into k1..k4
  const rest = end - i;
  let k1 = 0;
  let k2 = 0;
  let k3 = 0;
  let k4 = 0;
  for (let j = rest - 1; j >= 0; j--) {
    const b = buf[i + j]!;
    const shift = (j & 3) << 3;
    if (j >= 12) k4 |= b << shift;
    else if (j >= 8) k3 |= b << shift;
    else if (j >= 4) k2 |= b << shift;
    else k1 |= b << shift;
  }
  if (rest > 12) h4 ^= Math.imul(rotl(Math.imul(k4, C4), 18), C1);
  if (rest > 8) h3 ^= Math.imul(rotl(Math.imul(k3, C3), 17), C4);
  if (rest > 4) h2 ^= Math.imul(rotl(Math.imul(k2, C2), 16), C3);
  if (rest > 0) h1 ^= Math.imul(rotl(Math.imul(k1, C1), 15), C2);

  h1 ^= len;
  h2 ^= len;
  h3 ^= len;
  h4 ^= len;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h3 = fmix(h3);
  h4 = fmix(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  out[0] = h1;
  out[1] = h2;
  out[2] = h3;
  out[3] = h4;
}
