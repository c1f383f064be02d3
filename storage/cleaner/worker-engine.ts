// The cleaner's engines run in worker_threads (engine-worker.ts), seen from
// the broker's thread: each call is posted with its chunk transferred, and
// awaited. Cleaner thread i of every LogCleaner in the process uses worker
// thread i (one start per process, not per broker: starting one under tsx
// costs ~0.4 s); it starts on the first call, is referenced only while a
// call is pending (an idle cleaner never holds the process open), and is
// terminated when the last engine on it closes. A worker that dies or
// throws fails the pending calls (and so their rounds), never the broker;
// the next call starts a fresh worker and reopens its engine there.

import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
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
  const target = new URL('./engine-worker.ts', import.meta.url).href;
  return { entry: `import(${JSON.stringify(tsxApi())}).then((m) => { m.register(); return import(${JSON.stringify(target)}); });`, eval: true };
}

/**
 * tsx's ESM API. vitest's module runner (a global setup) has no import.meta.resolve;
 * there require's resolution finds the CommonJS build, and its ESM twin (tsx's
 * exports map: index.cjs beside index.mjs) is the one that registers correctly.
 */
function tsxApi(): string {
  try {
    return import.meta.resolve('tsx/esm/api');
  } catch {
    return pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  }
}

/** Resolved when the first worker starts, not at import (a broker that never cleans never needs it). */
let workerSpec: { entry: URL | string; eval: boolean } | undefined;

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

/** One worker thread and the engines open on it. */
class EngineThread {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  readonly engines = new Set<WorkerEngine>();
  private nextId = 0;
  dead = false;

  constructor(onDeath: () => void) {
    workerSpec ??= workerEntry();
    const w = (this.worker = new Worker(workerSpec.entry, { eval: workerSpec.eval }));
    w.unref();
    w.on('message', (m: { id: number; result?: unknown; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) w.unref();
      if (m.error !== undefined) p.reject(new Error(`cleaner worker: ${m.error}`));
      else p.resolve(m.result);
    });
    const die = (err: Error): void => {
      if (this.dead) return;
      this.dead = true;
      onDeath();
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    w.on('error', (err) => die(new Error(`cleaner worker crashed: ${err.message}`, { cause: err })));
    w.on('exit', (code) => die(new Error(`cleaner worker exited (code ${code})`)));
  }

  post(engine: number, op: EngineCall['op'], args: unknown[], transfer: ArrayBuffer[]): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ id, engine, op, args } satisfies EngineCall, transfer);
    });
  }
}

const threads: (EngineThread | undefined)[] = [];
let nextEngine = 0;

export class WorkerEngine implements CleanerEngine {
  private readonly id = nextEngine++;
  /** The thread this engine is open on, if any. */
  private thread: EngineThread | null = null;

  constructor(
    /** Which worker thread (the cleaner thread's index). */
    private readonly index: number,
    private readonly mapBytes: number,
    private readonly loadFactor: number,
  ) {}

  private call<T>(op: EngineCall['op'], args: unknown[], transfer: ArrayBuffer[] = []): Promise<T> {
    let t = threads[this.index];
    if (!t || t.dead) {
      const fresh: EngineThread = new EngineThread(() => {
        if (threads[this.index] === fresh) threads[this.index] = undefined;
      });
      t = threads[this.index] = fresh;
    }
    if (this.thread !== t) {
      // messages arrive in order: the engine is open before this call runs
      void t.post(this.id, 'open', [this.mapBytes, this.loadFactor], []).catch(() => undefined);
      t.engines.add(this);
      this.thread = t;
    }
    return t.post(this.id, op, args, transfer) as Promise<T>;
  }

  beginMap(firstDirty: number, aborted: AbortedTxn[]): Promise<void> {
    return this.call('beginMap', [firstDirty, aborted]);
  }

  /** `chunk` is transferred: empty here afterwards. */
  mapChunk(chunk: Buffer): Promise<MapProgress> {
    return this.call('mapChunk', [chunk], [chunk.buffer as ArrayBuffer]);
  }

  segmentMapped(nextBaseOffset: number): Promise<MapProgress> {
    return this.call('segmentMapped', [nextBaseOffset]);
  }

  beginFilter(setup: FilterSetup): Promise<void> {
    return this.call('beginFilter', [setup]);
  }

  /** `chunk` is transferred: empty here afterwards. */
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

  /** Drops this engine's offset map; the worker thread ends with the last engine on it. */
  async close(): Promise<void> {
    const t = this.thread;
    this.thread = null;
    if (!t || t.dead) return;
    t.engines.delete(this);
    if (t.engines.size > 0) {
      await t.post(this.id, 'drop', [], []).catch(() => undefined);
      return;
    }
    if (threads[this.index] === t) threads[this.index] = undefined;
    await t.worker.terminate();
  }
}
