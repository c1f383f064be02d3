// The cleaner's engines (engine.ts) in a worker_thread: the offset maps live
// here. worker-engine.ts on the broker's thread sends { id, engine, op, args }
// and gets { id, result } or { id, error } back, chunk buffers transferred
// both ways; `open` creates an engine, `drop` forgets it.

import { parentPort } from 'node:worker_threads';
import { LocalEngine, type CleanerEngine } from './engine.js';
import { OffsetMap } from './offset-map.js';

export interface EngineCall {
  id: number;
  engine: number;
  op: keyof CleanerEngine | 'open' | 'drop';
  args: unknown[];
}

const engines = new Map<number, LocalEngine>();
const port = parentPort!;

/** A Buffer over a Uint8Array that crossed threads (structured clone drops the Buffer class). */
function asBuffer(a: unknown): unknown {
  return a instanceof Uint8Array ? Buffer.from(a.buffer, a.byteOffset, a.byteLength) : a;
}

async function run(call: EngineCall): Promise<unknown> {
  if (call.op === 'open') {
    const [mapBytes, loadFactor] = call.args as [number, number];
    engines.set(call.engine, new LocalEngine(new OffsetMap(mapBytes, loadFactor)));
    return undefined;
  }
  if (call.op === 'drop') return engines.delete(call.engine);
  const engine = engines.get(call.engine);
  if (!engine) throw new Error(`no engine ${call.engine}`);
  const fn = engine[call.op] as (...a: unknown[]) => Promise<unknown>;
  return fn.apply(engine, call.args.map(asBuffer));
}

// one call at a time: each engine's caller awaits its calls in order
let queue: Promise<void> = Promise.resolve();
port.on('message', (call: EngineCall) => {
  queue = queue.then(async () => {
    try {
      const result = await run(call);
      const kept = (result as { kept?: Buffer } | undefined)?.kept;
      port.postMessage({ id: call.id, result }, kept ? [kept.buffer as ArrayBuffer] : []);
    } catch (err) {
      port.postMessage({ id: call.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
  });
});
