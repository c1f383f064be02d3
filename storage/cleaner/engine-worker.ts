// A cleaner thread's engine (engine.ts) in a worker_thread: the offset map
// lives here; worker-engine.ts on the broker's thread sends each call as
// { id, op, args } and gets { id, result } or { id, error } back, chunk
// buffers transferred both ways.

import { parentPort, workerData } from 'node:worker_threads';
import { LocalEngine, type CleanerEngine } from './engine.js';
import { OffsetMap } from './offset-map.js';

export interface EngineCall {
  id: number;
  op: keyof CleanerEngine;
  args: unknown[];
}

const { mapBytes, loadFactor } = workerData as { mapBytes: number; loadFactor: number };
const engine = new LocalEngine(new OffsetMap(mapBytes, loadFactor));
const port = parentPort!;

/** A Buffer over a Uint8Array that crossed threads (structured clone drops the Buffer class). */
function asBuffer(a: unknown): unknown {
  return a instanceof Uint8Array ? Buffer.from(a.buffer, a.byteOffset, a.byteLength) : a;
}

// one call at a time: the broker's side awaits each
let queue: Promise<void> = Promise.resolve();
port.on('message', (call: EngineCall) => {
  queue = queue.then(async () => {
    try {
      const fn = engine[call.op] as (...a: unknown[]) => Promise<unknown>;
      const result = await fn.apply(engine, call.args.map(asBuffer));
      const kept = (result as { kept?: Buffer } | undefined)?.kept;
      port.postMessage({ id: call.id, result }, kept ? [kept.buffer as ArrayBuffer] : []);
    } catch (err) {
      port.postMessage({ id: call.id, error: err instanceof Error ? err.stack ?? err.message : String(err) });
    }
  });
});
