// A cleaner thread's engine run in a worker_thread (engine-worker.ts), seen
// from the broker's thread: each call is posted with its chunk transferred,
// and awaited. The worker starts on the first call and is referenced only
// while a call is pending (an idle cleaner never holds the process open);
// `close` terminates it. A worker that dies or throws fails the call (and so
// the round), never the broker; the next call starts a fresh worker.

import { Worker } from 'node:worker_threads';
import type { AbortedTxn } from '../txn-index.js';
import type { CleanerEngine, FilterOutput, FilterSetup, MapProgress } from './engine.js';
import type { EngineCall } from './engine-worker.js';

/**
 * The worker's entry. From dist/ it is the built .js; under tsx or vitest this
 * module is the .ts source, and the worker registers tsx's loader before
 * importing it (Node 20 does not pass `--import tsx` on to a worker's loader).
 */
function workerEntry(): { entry: URL | string; eval: boolean } {
  if (!import.meta.url.endsWith('.ts')) return { entry: new URL('./engine-worker.js', import.meta.url), eval: false };
  const tsx = import.meta.resolve('tsx/esm/api');
  const target = new URL('./engine-worker.ts', import.meta.url).href;
  return { entry: `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); });`, eval: true };
}
const WORKER = workerEntry();

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

export class WorkerEngine implements CleanerEngine {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(
    private readonly mapBytes: number,
    private readonly loadFactor: number,
  ) {}

  private start(): Worker {
    const w = new Worker(WORKER.entry, { eval: WORKER.eval, workerData: { mapBytes: this.mapBytes, loadFactor: this.loadFactor } });
    w.on('message', (m: { id: number; result?: unknown; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) w.unref();
      if (m.error !== undefined) p.reject(new Error(`cleaner worker: ${m.error}`));
      else p.resolve(m.result);
    });
    const fail = (err: Error): void => {
      if (this.worker === w) this.worker = null;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    w.on('error', (err) => fail(new Error(`cleaner worker crashed: ${err.message}`, { cause: err })));
    w.on('exit', (code) => fail(new Error(`cleaner worker exited (code ${code})`)));
    return w;
  }

  private call<T>(op: EngineCall['op'], args: unknown[], transfer: ArrayBuffer[] = []): Promise<T> {
    const w = (this.worker ??= this.start());
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      w.ref();
      w.postMessage({ id, op, args } satisfies EngineCall, transfer);
    });
  }

  beginMap(firstDirty: number, aborted: AbortedTxn[]): Promise<void> {
    return this.call('beginMap', [firstDirty, aborted]);
  }

  /** `chunk` is transferred: unusable here afterwards. */
  mapChunk(chunk: Buffer): Promise<MapProgress> {
    return this.call('mapChunk', [chunk], [chunk.buffer as ArrayBuffer]);
  }

  segmentMapped(nextBaseOffset: number): Promise<MapProgress> {
    return this.call('segmentMapped', [nextBaseOffset]);
  }

  beginFilter(setup: FilterSetup): Promise<void> {
    return this.call('beginFilter', [setup]);
  }

  /** `chunk` is transferred: unusable here afterwards. */
  async filterChunk(chunk: Buffer): Promise<FilterOutput> {
    const r = await this.call<{ kept: Uint8Array; records: number }>('filterChunk', [chunk], [chunk.buffer as ArrayBuffer]);
    return { kept: Buffer.from(r.kept.buffer, r.kept.byteOffset, r.kept.byteLength), records: r.records };
  }

  takeKeptAborts(): Promise<AbortedTxn[]> {
    return this.call('takeKeptAborts', []);
  }

  utilization(): Promise<number> {
    return this.call('utilization', []);
  }

  /** Terminates the worker (its offset map goes with it). */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}
