// The file-system surface the log needs, and nothing more. Two implementations
// run the SAME segment code:
//   - fs-real.ts: node:fs/promises, fdatasync for files, fsync on the directory
//     after a create/rename/unlink that must survive a crash;
//   - fs-memory.ts: an in-memory twin (kafkalite --memory, tests) that models
//     what a crash keeps (only fsynced bytes, only dir-synced names) and can fail
//     the next write or fsync.
//
// Durability rules the callers follow (and the memory twin enforces):
//   - bytes written to a file survive a crash only after `sync()` on its handle;
//   - a new name (create, rename, unlink) survives a crash only after
//     `syncDir()` on the directory that holds it.

export interface FileStat {
  size: number;
  isDirectory: boolean;
  /** Last modification, ms since the epoch. */
  mtimeMs: number;
}

export interface FileHandle {
  readonly path: string;
  /**
   * Reads up to `length` bytes at `position` into `buf[offset..]`; returns the
   * number read (fewer only at end of file).
   */
  read(buf: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** Writes every byte of `bufs`, in order, starting at `position` (all or throw). */
  writev(bufs: readonly Buffer[], position: number): Promise<void>;
  /** The same as `writev`, synchronously (for small writes; absent where it cannot be done). */
  writevSync?(bufs: readonly Buffer[], position: number): void;
  /** Makes the file's bytes durable (fdatasync). */
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
}

export type OpenMode =
  /** read only; the file must exist */
  | 'r'
  /** read and write; created if missing, never truncated */
  | 'rw'
  /** read and write; created if missing, truncated to 0 */
  | 'rw-truncate';

/** An exclusive lock on a file, held until released (or the process ends). */
export interface FileLock {
  /** The locked file, open for reading and writing (the holder may note who it is in it). */
  readonly handle: FileHandle;
  release(): Promise<void>;
}

export interface FileSystem {
  /** 'real' or 'memory', for logs and the odd test. */
  readonly kind: 'real' | 'memory';
  open(path: string, mode: OpenMode): Promise<FileHandle>;
  readFile(path: string): Promise<Buffer>;
  /** Creates or replaces `path` with `data`; not durable until synced. */
  writeFile(path: string, data: Buffer): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Removes a file; a missing file is not an error. */
  unlink(path: string): Promise<void>;
  /** Creates a directory and any missing parents; an existing one is fine. */
  mkdir(path: string): Promise<void>;
  /** Removes a directory and everything below it; a missing one is fine. */
  rmrf(path: string): Promise<void>;
  /** Names in a directory (not paths), in no particular order. */
  readdir(path: string): Promise<string[]>;
  stat(path: string): Promise<FileStat>;
  exists(path: string): Promise<boolean>;
  /** Makes the names in a directory (creates, renames, unlinks) durable. */
  syncDir(path: string): Promise<void>;
  /**
   * Creates `path` if missing and takes an exclusive lock on it; null when it is
   * held already, by another process or by another lock() in this one.
   */
  lock(path: string): Promise<FileLock | null>;
  /** Size and free space (for this user) of the volume holding `path`; absent where there is no volume (in memory). */
  volume?(path: string): Promise<{ totalBytes: number; usableBytes: number }>;
}

/** Joins path pieces with '/', the only separator storage uses. */
export function joinPath(...parts: string[]): string {
  let out = '';
  for (const p of parts) {
    if (p === '') continue;
    if (out === '' || out.endsWith('/')) out += p.startsWith('/') && out !== '' ? p.slice(1) : p;
    else out += p.startsWith('/') ? p : `/${p}`;
  }
  return out;
}

export function dirName(path: string): string {
  const i = path.lastIndexOf('/');
  if (i < 0) return '.';
  if (i === 0) return '/';
  return path.slice(0, i);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * Replaces `path` atomically and durably: write `path.tmp`, fsync it, rename
 * over `path`, fsync the directory. After a crash the file holds either the old
 * or the new contents, never a mix.
 */
export async function writeFileAtomic(fs: FileSystem, path: string, data: Buffer): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await fs.open(tmp, 'rw-truncate');
  try {
    await fh.writev([data], 0);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, path);
  await fs.syncDir(dirName(path));
}

/**
 * Creates a directory (and missing parents) so that it survives a crash: every
 * directory that gets a new entry is fsynced afterwards.
 */
export async function mkdirDurable(fs: FileSystem, path: string): Promise<void> {
  const missing: string[] = [];
  let p = path;
  while (!(await fs.exists(p))) {
    missing.push(p);
    const parent = dirName(p);
    if (parent === p) break;
    p = parent;
  }
  if (missing.length === 0) return;
  await fs.mkdir(path);
  for (let i = missing.length - 1; i >= 0; i--) await fs.syncDir(dirName(missing[i]!));
}

/** The file's contents, or undefined when it does not exist. */
export async function readFileIfExists(fs: FileSystem, path: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(path);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

export function isNotFound(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'ENOENT';
}

/** An Error with a Node-style `code`, as both implementations throw. */
export function fsError(code: string, message: string): Error & { code: string } {
  const e = new Error(`${code}: ${message}`) as Error & { code: string };
  e.code = code;
  return e;
}
