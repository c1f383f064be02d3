// Slabs for appended batches, shared by every log of the process. An append
// copies its (stamped) bytes into the current slab, so the write queue and the
// tail cache hold slices of a few long-lived buffers instead of the request's
// socket-sized Buffers: those die young, and V8 sees no new external memory
// per append (external memory that survives a scavenge is what triggered a
// mark-compact every ~64 MB appended). A slab is reused once every piece cut
// from it is released by all its holders (the writer once written, the tail
// cache once evicted) and no slice of it was ever handed out to a reader (a
// fetch response may still be in a socket's queue: such a slab is left to the
// GC). A path that cannot be sure (a failed log, a reload) simply releases
// nothing: the slab is then never reused, only collected.
//
// State owned here: the current slab, the free slabs, the per-slab counts.

/** Bytes per slab. */
export const SLAB_BYTES = 1024 * 1024;
/** Appends larger than this keep their own buffer (a slab would hold few of them). */
export const SLAB_MAX_PIECE = SLAB_BYTES / 4;
/** Free slabs kept for reuse (the rest go to the GC). */
const MAX_FREE = 16;

export class Slab {
  /** Holders of pieces not yet released. */
  refs = 0;
  /** A slice was handed to a reader: never reused. */
  lent = false;
  /** Bytes cut so far. */
  used = 0;
  constructor(
    readonly buf: Buffer,
    private readonly pool: SlabPool,
  ) {}

  /** One holder of one piece is done with it. */
  release(): void {
    if (--this.refs === 0) this.pool.recycle(this);
  }
}

export class SlabPool {
  private current: Slab | null = null;
  private readonly free: Buffer[] = [];
  /** Counters for tests and benchmarks. */
  readonly stats = { slabs: 0, reused: 0 };

  /**
   * Copies `src` into a slab for `holders` holders (each calls `slab.release()`
   * once); null when `src` is too large to share one.
   */
  copy(src: Buffer, holders: number): { bytes: Buffer; slab: Slab } | null {
    const n = src.length;
    if (n > SLAB_MAX_PIECE) return null;
    let slab = this.current;
    if (slab === null || slab.used + n > SLAB_BYTES) {
      if (slab !== null) this.retire(slab);
      const reuse = this.free.pop();
      if (reuse) this.stats.reused++;
      else this.stats.slabs++;
      slab = this.current = new Slab(reuse ?? Buffer.allocUnsafeSlow(SLAB_BYTES), this);
    }
    const start = slab.used;
    src.copy(slab.buf, start);
    slab.used = start + n;
    slab.refs += holders;
    return { bytes: slab.buf.subarray(start, start + n), slab };
  }

  /** A full slab: reusable once its pieces are released. */
  private retire(slab: Slab): void {
    this.current = null;
    if (slab.refs === 0) this.recycle(slab);
  }

  /** @internal Called by a slab whose last piece was released. */
  recycle(slab: Slab): void {
    if (slab === this.current || slab.lent || slab.refs !== 0) return;
    slab.lent = true; // this Slab object is done; its buffer lives on in a new one
    if (this.free.length < MAX_FREE) this.free.push(slab.buf);
  }
}

/** The process's pool: logs of every data directory share it. */
export const appendSlabs = new SlabPool();
