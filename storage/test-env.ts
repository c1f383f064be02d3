// Shared test setup: the same tests run on the real file system (a temp dir)
// and on the in-memory one.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readInt64, OFF_LAST_OFFSET_DELTA } from './batch.js';
import { joinPath, type FileSystem } from './fs.js';
import { MemoryFileSystem } from './fs-memory.js';
import { RealFileSystem } from './fs-real.js';
import type { LogConfig } from './log-config.js';
// Tests take defaults from the broker's config table, the only place they live.
import { resolveBrokerConfig } from '../broker/config.js';
import { logConfigResolver } from '../broker/log-config.js';
import { PartitionLog, type PartitionLogOptions } from './partition-log.js';

export interface TestEnv {
  kind: 'real' | 'memory';
  fs: FileSystem;
  root: string;
  cleanup(): Promise<void>;
}

export async function realEnv(): Promise<TestEnv> {
  const root = await mkdtemp(join(tmpdir(), 'kafkalite-storage-'));
  return { kind: 'real', fs: new RealFileSystem(), root, cleanup: () => rm(root, { recursive: true, force: true }) };
}

export async function memoryEnv(fs = new MemoryFileSystem()): Promise<TestEnv> {
  await fs.mkdir('/data');
  await fs.syncDir('/');
  return { kind: 'memory', fs, root: '/data', cleanup: async () => {} };
}

export const ENVS: [string, () => Promise<TestEnv>][] = [
  ['real fs', realEnv],
  ['memory fs', () => memoryEnv()],
];

const defaults = logConfigResolver(resolveBrokerConfig({}));

export function testConfig(over: Partial<LogConfig> = {}): LogConfig {
  return { ...defaults({}), ...over };
}

export function openLog(env: TestEnv, over: Partial<PartitionLogOptions> & { config?: LogConfig } = {}): Promise<PartitionLog> {
  return PartitionLog.open({
    fs: env.fs,
    dir: joinPath(env.root, 'topic-0'),
    topic: 'topic',
    partition: 0,
    config: testConfig(),
    ...over,
  });
}

export function lastOffsetOf(b: Buffer): number {
  return readInt64(b, 0) + b.readInt32BE(OFF_LAST_OFFSET_DELTA);
}

/** Every batch from the log start to the high watermark. */
export async function readAll(log: PartitionLog, chunk = 1 << 20): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let off = log.logStartOffset;
  while (off < log.highWatermark) {
    const r = await log.read(off, chunk, true);
    if (r.batches.length === 0) throw new Error(`no progress at ${off} (hw ${r.highWatermark})`);
    for (const b of r.batches) {
      out.push(b);
      off = lastOffsetOf(b) + 1;
    }
  }
  return out;
}

/**
 * `fs` for a "process" that will die without closing: its data-directory lock
 * is not taken, as the kernel drops a dead process's locks, so the test can
 * open the directory again in the same process as a restart would.
 */
export function dyingProcessFs(fs: FileSystem): FileSystem {
  return new Proxy(fs, {
    get(target, prop, receiver) {
      if (prop === 'lock') return async (path: string) => ({ handle: await target.open(path, 'rw'), release: async () => {} });
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
