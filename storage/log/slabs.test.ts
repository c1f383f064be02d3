import { afterEach, describe, expect, it } from 'vitest';
import { readInt64 } from '../batch.js';
import { simpleBatch } from '../test-batches.js';
import { ENVS, openLog, type TestEnv } from '../test-env.js';
import { SLAB_BYTES, SLAB_MAX_PIECE, SlabPool, appendSlabs } from './slabs.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('SlabPool', () => {
  it('reuses a full slab once every holder released its pieces, never one lent to a reader', () => {
    const pool = new SlabPool();
    const piece = Buffer.alloc(SLAB_MAX_PIECE, 1);
    const perSlab = SLAB_BYTES / SLAB_MAX_PIECE;
    const fill = () => Array.from({ length: perSlab }, () => pool.copy(piece, 1)!);
    const a = fill();
    expect(a.every((p) => p.slab === a[0]!.slab && p.bytes.equals(piece))).toBe(true);
    for (const p of a.slice(1)) p.slab.release();
    const b = fill(); // a new slab: the first is full, one of its pieces still held
    expect(b[0]!.slab).not.toBe(a[0]!.slab);
    fill();
    expect(pool.stats.reused).toBe(0);
    a[0]!.slab.release();
    const d = fill();
    expect(pool.stats.reused).toBe(1);
    expect(d[0]!.slab.buf.buffer).toBe(a[0]!.slab.buf.buffer);

    // every piece of b released, but a slice of it was handed to a reader: not reused
    b[0]!.slab.lent = true;
    for (const p of b) p.slab.release();
    fill();
    expect(pool.stats.reused).toBe(1);
  });

  it('leaves appends too large for a slab alone', () => {
    expect(new SlabPool().copy(Buffer.alloc(SLAB_MAX_PIECE + 1), 1)).toBeNull();
  });
});

describe.each(ENVS)('appends in slabs (%s)', (_name, make) => {
  async function setup(): Promise<TestEnv> {
    const env = await make();
    cleanups.push(env.cleanup);
    return env;
  }

  it('a batch served from the tail cache keeps its bytes while later appends reuse slabs', async () => {
    const env = await setup();
    const log = await openLog(env, { tailCacheBytes: 256 * 1024 });
    const append = (i: number) => log.append(simpleBatch(4, { valueBytes: 2000, prefix: `b${i}-` }));
    let last = append(0);
    await last.written;
    const served = (await log.read(0, 1 << 20)).batches[0]!;
    const copyOfServed = Buffer.from(served);
    const reusedBefore = appendSlabs.stats.reused;
    // several slabs' worth of appends, written and evicted from the cache: their slabs are reused
    for (let i = 1; i <= (4 * SLAB_BYTES) / 8000; i++) {
      last = append(i);
      if (i % 32 === 0) await last.written;
    }
    await last.written;
    expect(appendSlabs.stats.reused).toBeGreaterThan(reusedBefore);
    expect(served.equals(copyOfServed)).toBe(true);
    expect(readInt64(served, 0)).toBe(0);
    // what the file holds is what was appended
    const fromDisk = await log.read(0, 1 << 20);
    expect(fromDisk.batches[0]!.equals(copyOfServed)).toBe(true);
    await log.close();
  });
});
