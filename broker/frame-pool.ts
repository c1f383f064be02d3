// Reusable buffers for Produce frames that arrive split across socket reads.
// Node allocates a new Buffer for every read (a server socket takes no `onread`
// option), and a frame spread over several reads must be joined into one buffer:
// with 64 KiB batches that is nearly every frame (reads are 64 KiB too), and a
// fresh 64 KiB Buffer per frame doubled the young external memory the scavenger
// chases. A joined Produce frame is copied into a pooled buffer instead, lent to
// its request and given back once the request is answered.
//
// Why a Produce frame is free again once answered: nothing keeps its bytes past
// the handler. The log copies appended batches into its slabs
// (storage/log/slabs.ts) and keeps the caller's buffer only for an append larger
// than SLAB_MAX_PIECE, so only frames up to that size are lent; the other
// fields decode to strings and numbers; the test double's request log copies
// what it keeps (broker/faults/dispatch.ts). A request that ends otherwise
// (handler failure, closed connection) never gives its buffer back: the GC
// takes it.
//
// State owned here: the free buffers, by size class.
import { SLAB_MAX_PIECE } from '../storage/log/slabs.js';

/** Frames up to this size are lent a pooled buffer. */
export const MAX_POOLED_FRAME = SLAB_MAX_PIECE;
/** Smallest class: smaller split frames are rare and cheap to allocate. */
const MIN_CLASS_BITS = 14;
/** Free bytes kept per size class (the rest go to the GC). */
const MAX_FREE_BYTES_PER_CLASS = 4 * 1024 * 1024;

function classOf(n: number): number {
  return Math.max(MIN_CLASS_BITS, 32 - Math.clz32(n - 1));
}

export class FramePool {
  private readonly free = new Map<number, Buffer[]>();
  /** Counters for tests and benchmarks. */
  readonly stats = { allocated: 0, reused: 0 };

  /** A buffer of at least `n` bytes (1..MAX_POOLED_FRAME) for one frame; hand it back with `give` once nothing reads it. */
  take(n: number): Buffer {
    const bits = classOf(n);
    const reuse = this.free.get(bits)?.pop();
    if (reuse !== undefined) {
      this.stats.reused++;
      return reuse;
    }
    this.stats.allocated++;
    return Buffer.allocUnsafeSlow(2 ** bits);
  }

  give(buf: Buffer): void {
    const bits = classOf(buf.length);
    let list = this.free.get(bits);
    if (list === undefined) this.free.set(bits, (list = []));
    if ((list.length + 1) * buf.length <= MAX_FREE_BYTES_PER_CLASS) list.push(buf);
  }
}

/** The process's pool: connections of every listener share it. */
export const framePool = new FramePool();
