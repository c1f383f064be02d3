// One broker per data directory: Kafka's `<data-dir>/.lock`, held with an
// exclusive OS lock (FileSystem.lock: fcntl/flock on the real disk, a per-disk
// set in the memory twin) from the moment storage opens the directory until it
// closes. A second holder, whether another process, another broker or node in
// this process, is refused with a message naming the holder, which writes its
// pid, host and start time into the file (Kafka leaves it empty; the lock,
// not the contents, is what counts, so a leftover file from a dead process is
// simply locked again).

import { hostname } from 'node:os';
import { joinPath, type FileLock, type FileSystem } from './fs.js';

export const LOCK_FILE = '.lock';

export interface LockHolder {
  pid: number;
  host: string;
  /** When the holder took the lock, ms since the epoch. */
  since: number;
}

/** Another broker holds the data directory. */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder | null,
  ) {
    super(`data directory ${dataDir} is in use by ${describeHolder(holder)}; only one broker may use a data directory at a time`);
  }
}

function describeHolder(h: LockHolder | null): string {
  if (h === null) return 'another broker (holder unknown)';
  const where = h.pid === process.pid && h.host === hostname() ? ', another broker in this process' : '';
  return `pid ${h.pid} on ${h.host}${where} since ${new Date(h.since).toISOString()}`;
}

function parseHolder(buf: Buffer): LockHolder | null {
  try {
    const h = JSON.parse(buf.toString('utf8')) as Partial<LockHolder>;
    if (typeof h.pid === 'number' && typeof h.host === 'string' && typeof h.since === 'number') return { pid: h.pid, host: h.host, since: h.since };
  } catch {
    // an empty file (Kafka's) or one cut short: holder unknown
  }
  return null;
}

/** Takes the data directory's lock (the directory must exist); throws DataDirLockedError if it is held. */
export async function lockDataDir(fs: FileSystem, dataDir: string, now = Date.now()): Promise<FileLock> {
  const path = joinPath(dataDir, LOCK_FILE);
  const lock = await fs.lock(path);
  if (lock === null) throw new DataDirLockedError(dataDir, await readLockHolder(fs, dataDir));
  try {
    const me = Buffer.from(`${JSON.stringify({ pid: process.pid, host: hostname(), since: now } satisfies LockHolder)}\n`);
    await lock.handle.truncate(0);
    await lock.handle.writev([me], 0);
  } catch (e) {
    await lock.release();
    throw e;
  }
  return lock;
}

/** Who wrote itself into the lock file last (the holder, if the lock is held). */
export async function readLockHolder(fs: FileSystem, dataDir: string): Promise<LockHolder | null> {
  try {
    return parseHolder(await fs.readFile(joinPath(dataDir, LOCK_FILE)));
  } catch {
    return null;
  }
}
