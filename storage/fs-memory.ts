// In-memory FileSystem: the test double (`kafkalite start --memory`, tests) that
// runs the same segment code as the real one, plus fault injection.
//
// What a crash keeps (when `trackDurability` is on, the default):
//   - per file, only the bytes present at its last completed `sync()`; a sync
//     covers what was written before it was called, and counts only once it
//     has returned (a crash while a sync is in flight loses it);
//   - per directory, only the names present at its last `syncDir()`: a file
//     created, renamed or unlinked since then is back the way it was (a file
//     whose name was never dir-synced is gone, whatever was fsynced into it);
//   - a name whose parent directory itself was never made durable is gone.
// After `crash()` every handle opened before it is dead (any call throws EIO),
// so writers left over from the "previous process" cannot touch the new state.
//
// Faults: `failNextWrite()` / `failNextSync()` / `failNextOpen()` /
// `failNextRead()` / `failNextRename()` (matched on the source path) make the next matching call throw (EIO by default, or the
// errno in `code`: EMFILE, ENOSPC, EACCES...; `times` for more than one call);
// a failed write can first apply a prefix of its bytes (`partialBytes`), a torn
// write. readFile counts as an open and a read. A failed sync leaves the durable state as it
// was (the dirty bytes stay dirty and a later sync may still persist them:
// kinder than Linux after an fsync error, which may drop them).
//
// Storage: files are arrays of 64 KiB chunks, copy-on-write against the last
// synced version, so a sync costs one array copy, not a copy of the data.

import { dirName, fsError, type FileHandle, type FileLock, type FileStat, type FileSystem, type OpenMode } from './fs.js';

const CHUNK = 64 * 1024;

class Inode {
  chunks: (Buffer | undefined)[] = [];
  /** owned[i]: chunks[i] is not shared with the durable version and may be written in place. */
  owned: boolean[] = [];
  size = 0;
  durableChunks: (Buffer | undefined)[] = [];
  durableSize = 0;
  mtimeMs: number;

  constructor(now: number) {
    this.mtimeMs = now;
  }

  private ownChunk(i: number): Buffer {
    let c = this.chunks[i];
    if (c !== undefined && this.owned[i]) return c;
    const fresh = Buffer.alloc(CHUNK);
    if (c !== undefined) c.copy(fresh);
    this.chunks[i] = fresh;
    this.owned[i] = true;
    c = fresh;
    return c;
  }

  write(src: Buffer, position: number): void {
    let off = 0;
    let pos = position;
    while (off < src.length) {
      const i = Math.floor(pos / CHUNK);
      const within = pos - i * CHUNK;
      const n = Math.min(CHUNK - within, src.length - off);
      src.copy(this.ownChunk(i), within, off, off + n);
      off += n;
      pos += n;
    }
    if (pos > this.size) this.size = pos;
  }

  read(dst: Buffer, dstOff: number, length: number, position: number): number {
    const n = Math.max(0, Math.min(length, this.size - position));
    let done = 0;
    while (done < n) {
      const pos = position + done;
      const i = Math.floor(pos / CHUNK);
      const within = pos - i * CHUNK;
      const k = Math.min(CHUNK - within, n - done);
      const c = this.chunks[i];
      if (c === undefined) dst.fill(0, dstOff + done, dstOff + done + k);
      else c.copy(dst, dstOff + done, within, within + k);
      done += k;
    }
    return n;
  }

  truncate(length: number): void {
    if (length < this.size) {
      const last = Math.ceil(length / CHUNK);
      this.chunks.length = Math.min(this.chunks.length, last);
      this.owned.length = Math.min(this.owned.length, last);
      const within = length % CHUNK;
      if (within !== 0 && this.chunks[last - 1] !== undefined) this.ownChunk(last - 1).fill(0, within);
    }
    this.size = length;
  }

  /** Takes the current contents as the candidate durable version (copy-on-write from here on). */
  snapshot(): { chunks: (Buffer | undefined)[]; size: number } {
    this.owned = [];
    return { chunks: this.chunks.slice(), size: this.size };
  }

  restoreDurable(): void {
    this.chunks = this.durableChunks.slice();
    this.owned = [];
    this.size = this.durableSize;
  }
}

type FaultKind = 'open' | 'read' | 'write' | 'sync' | 'rename';

/** The error an injected fault throws. */
function faultError(spec: FaultSpec, path: string, what: string): Error {
  const code = spec.code ?? 'EIO';
  return spec.error ?? fsError(code, `${path}: injected ${what} failure`);
}

type Node = { kind: 'file'; inode: Inode } | { kind: 'dir'; mtimeMs: number };

export interface FaultSpec {
  /** Only calls on a matching path fail (default: any). */
  path?: string | RegExp;
  /** What to throw (default: an error with `code`, EIO unless given). */
  error?: Error;
  /** The errno of the default error (default 'EIO'). */
  code?: string;
  /** How many matching calls fail (default 1; Infinity: until clearFaults()). */
  times?: number;
  /** Writes only: apply this many bytes of the write before failing. */
  partialBytes?: number;
}

export interface MemoryFileSystemOptions {
  /** Model crashes (copy-on-write of synced data, durable names); default true. */
  trackDurability?: boolean;
  /** Awaited inside every file sync, to model a slow disk (e.g. `() => sleep(2)`). */
  syncDelay?: () => Promise<void>;
  now?: () => number;
}

export interface MemoryFsStats {
  writes: number;
  bytesWritten: number;
  /** File syncs that completed. */
  syncs: number;
  dirSyncs: number;
  reads: number;
}

function normalize(path: string): string {
  if (!path.startsWith('/')) path = `/${path}`;
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

class MemFileHandle implements FileHandle {
  closed = false;
  constructor(
    private readonly fs: MemoryFileSystem,
    readonly path: string,
    readonly inode: Inode,
    readonly writable: boolean,
    readonly generation: number,
  ) {}

  private check(): void {
    if (this.closed) throw fsError('EBADF', `${this.path}: handle is closed`);
    if (this.generation !== this.fs.generation) throw fsError('EIO', `${this.path}: handle from before a crash`);
  }

  async read(buf: Buffer, offset: number, length: number, position: number): Promise<number> {
    this.check();
    this.fs.stats.reads++;
    await Promise.resolve();
    this.check();
    const fault = this.fs.takeFault('read', this.path);
    if (fault) throw faultError(fault, this.path, 'read');
    return this.inode.read(buf, offset, length, position);
  }

  async writev(bufs: readonly Buffer[], position: number): Promise<void> {
    this.check();
    if (!this.writable) throw fsError('EBADF', `${this.path}: opened read-only`);
    await tick();
    this.writevSync(bufs, position);
  }

  writevSync(bufs: readonly Buffer[], position: number): void {
    this.check();
    if (!this.writable) throw fsError('EBADF', `${this.path}: opened read-only`);
    const fault = this.fs.takeFault('write', this.path);
    let pos = position;
    let budget = fault ? (fault.partialBytes ?? 0) : Infinity;
    for (const b of bufs) {
      if (budget <= 0) break;
      const piece = b.length <= budget ? b : b.subarray(0, budget);
      this.inode.write(piece, pos);
      pos += piece.length;
      budget -= piece.length;
    }
    this.inode.mtimeMs = this.fs.now();
    if (fault) throw faultError(fault, this.path, 'write');
    this.fs.stats.writes++;
    this.fs.stats.bytesWritten += pos - position;
  }

  async sync(): Promise<void> {
    this.check();
    const fault = this.fs.takeFault('sync', this.path);
    const snap = this.fs.trackDurability && !fault ? this.inode.snapshot() : undefined;
    if (this.fs.syncDelay) await this.fs.syncDelay();
    else await tick();
    this.check();
    if (fault) throw faultError(fault, this.path, 'fsync');
    if (snap) {
      this.inode.durableChunks = snap.chunks;
      this.inode.durableSize = snap.size;
    }
    this.fs.stats.syncs++;
  }

  async truncate(length: number): Promise<void> {
    this.check();
    if (!this.writable) throw fsError('EBADF', `${this.path}: opened read-only`);
    await Promise.resolve();
    this.check();
    this.inode.truncate(length);
    this.inode.mtimeMs = this.fs.now();
  }

  async size(): Promise<number> {
    this.check();
    return this.inode.size;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export class MemoryFileSystem implements FileSystem {
  readonly kind = 'memory' as const;
  readonly trackDurability: boolean;
  syncDelay: (() => Promise<void>) | undefined;
  readonly now: () => number;
  generation = 0;
  readonly stats: MemoryFsStats = { writes: 0, bytesWritten: 0, syncs: 0, dirSyncs: 0, reads: 0 };

  private names = new Map<string, Node>();
  private durableNames = new Map<string, Node>();
  private faults: { kind: FaultKind; spec: FaultSpec; left: number }[] = [];
  /** Paths locked by lock(); a crash (the process died) releases them all. */
  private locked = new Set<string>();

  constructor(opts: MemoryFileSystemOptions = {}) {
    this.trackDurability = opts.trackDurability ?? true;
    this.syncDelay = opts.syncDelay;
    this.now = opts.now ?? Date.now;
    const root: Node = { kind: 'dir', mtimeMs: this.now() };
    this.names.set('/', root);
    this.durableNames.set('/', root);
  }

  // ---- fault injection -------------------------------------------------------

  /** The next write (to a matching path) fails. */
  failNextWrite(spec: FaultSpec = {}): void {
    this.addFault('write', spec);
  }

  /** The next file sync (of a matching path) fails. */
  failNextSync(spec: FaultSpec = {}): void {
    this.addFault('sync', spec);
  }

  /** The next open (open, readFile, writeFile, lock) of a matching path fails. */
  failNextOpen(spec: FaultSpec = {}): void {
    this.addFault('open', spec);
  }

  /** The next read (handle read or readFile) of a matching path fails. */
  failNextRead(spec: FaultSpec = {}): void {
    this.addFault('read', spec);
  }

  /** The next rename of a matching source path fails (nothing moves). */
  failNextRename(spec: FaultSpec = {}): void {
    this.addFault('rename', spec);
  }

  private addFault(kind: FaultKind, spec: FaultSpec): void {
    this.faults.push({ kind, spec, left: spec.times ?? 1 });
  }

  /**
   * Every file sync from now on waits (a stalled disk) until the returned
   * function is called; then the waiting syncs complete.
   */
  stallSync(): () => void {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const before = this.syncDelay;
    const stalled = async () => {
      await gate;
      await before?.();
    };
    this.syncDelay = stalled;
    return () => {
      if (this.syncDelay === stalled) this.syncDelay = before;
      release();
    };
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** @internal */
  takeFault(kind: FaultKind, path: string): FaultSpec | undefined {
    const p = normalize(path);
    const i = this.faults.findIndex(
      (f) =>
        f.kind === kind &&
        (f.spec.path === undefined || (typeof f.spec.path === 'string' ? normalize(f.spec.path) === p : f.spec.path.test(p))),
    );
    if (i < 0) return undefined;
    const f = this.faults[i]!;
    if (--f.left <= 0) this.faults.splice(i, 1);
    return f.spec;
  }

  /**
   * Simulates a power loss: every file goes back to its last synced contents,
   * every directory to its last synced names; handles opened before are dead.
   */
  crash(): void {
    if (!this.trackDurability) throw new Error('crash() needs trackDurability');
    this.generation++;
    this.faults = [];
    this.locked.clear();
    const kept = new Map<string, Node>();
    // shortest paths first, so a name survives only under a surviving directory
    const paths = [...this.durableNames.keys()].sort((a, b) => a.length - b.length);
    for (const p of paths) {
      const node = this.durableNames.get(p)!;
      if (p !== '/' && kept.get(dirName(p))?.kind !== 'dir') continue;
      kept.set(p, node);
    }
    for (const node of kept.values()) if (node.kind === 'file') node.inode.restoreDurable();
    this.names = kept;
    this.durableNames = new Map(kept);
  }

  // ---- FileSystem ------------------------------------------------------------

  private parentMustBeDir(path: string): void {
    const parent = this.names.get(dirName(path));
    if (parent === undefined) throw fsError('ENOENT', `${dirName(path)}: no such directory`);
    if (parent.kind !== 'dir') throw fsError('ENOTDIR', `${dirName(path)}: not a directory`);
  }

  private fileNode(path: string): { kind: 'file'; inode: Inode } {
    const node = this.names.get(path);
    if (node === undefined) throw fsError('ENOENT', `${path}: no such file`);
    if (node.kind !== 'file') throw fsError('EISDIR', `${path}: is a directory`);
    return node;
  }

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    await Promise.resolve();
    const p = normalize(path);
    const fault = this.takeFault('open', p);
    if (fault) throw faultError(fault, p, 'open');
    let node = this.names.get(p);
    if (node === undefined) {
      if (mode === 'r') throw fsError('ENOENT', `${p}: no such file`);
      this.parentMustBeDir(p);
      node = { kind: 'file', inode: new Inode(this.now()) };
      this.names.set(p, node);
    }
    if (node.kind !== 'file') throw fsError('EISDIR', `${p}: is a directory`);
    if (mode === 'rw-truncate') node.inode.truncate(0);
    return new MemFileHandle(this, p, node.inode, mode !== 'r', this.generation);
  }

  async readFile(path: string): Promise<Buffer> {
    await Promise.resolve();
    const p = normalize(path);
    const fault = this.takeFault('open', p) ?? this.takeFault('read', p);
    if (fault) throw faultError(fault, p, 'read');
    const { inode } = this.fileNode(p);
    const out = Buffer.allocUnsafe(inode.size);
    inode.read(out, 0, inode.size, 0);
    return out;
  }

  async writeFile(path: string, data: Buffer): Promise<void> {
    const fh = await this.open(path, 'rw-truncate');
    await fh.writev([data], 0);
    await fh.close();
  }

  async rename(from: string, to: string): Promise<void> {
    await Promise.resolve();
    const f = normalize(from);
    const t = normalize(to);
    const fault = this.takeFault('rename', f);
    if (fault) throw faultError(fault, f, 'rename');
    const node = this.names.get(f);
    if (node === undefined) throw fsError('ENOENT', `${f}: no such file or directory`);
    this.parentMustBeDir(t);
    if (node.kind === 'dir') {
      for (const k of [...this.names.keys()]) {
        if (k.startsWith(`${f}/`)) {
          this.names.set(t + k.slice(f.length), this.names.get(k)!);
          this.names.delete(k);
        }
      }
    }
    this.names.delete(f);
    this.names.set(t, node);
  }

  async unlink(path: string): Promise<void> {
    await Promise.resolve();
    const p = normalize(path);
    const node = this.names.get(p);
    if (node === undefined) return;
    if (node.kind === 'dir') throw fsError('EISDIR', `${p}: is a directory`);
    this.names.delete(p);
  }

  async mkdir(path: string): Promise<void> {
    await Promise.resolve();
    const p = normalize(path);
    const parts = p.split('/').filter((s) => s !== '');
    let cur = '';
    for (const part of parts) {
      cur += `/${part}`;
      const node = this.names.get(cur);
      if (node === undefined) this.names.set(cur, { kind: 'dir', mtimeMs: this.now() });
      else if (node.kind !== 'dir') throw fsError('ENOTDIR', `${cur}: not a directory`);
    }
  }

  async rmrf(path: string): Promise<void> {
    await Promise.resolve();
    const p = normalize(path);
    for (const k of [...this.names.keys()]) if (k === p || k.startsWith(`${p}/`)) this.names.delete(k);
  }

  async readdir(path: string): Promise<string[]> {
    await Promise.resolve();
    const p = normalize(path);
    const node = this.names.get(p);
    if (node === undefined) throw fsError('ENOENT', `${p}: no such directory`);
    if (node.kind !== 'dir') throw fsError('ENOTDIR', `${p}: not a directory`);
    const prefix = p === '/' ? '/' : `${p}/`;
    const out: string[] = [];
    for (const k of this.names.keys()) {
      if (k !== p && k.startsWith(prefix) && !k.slice(prefix.length).includes('/')) out.push(k.slice(prefix.length));
    }
    return out;
  }

  async stat(path: string): Promise<FileStat> {
    await Promise.resolve();
    const p = normalize(path);
    const node = this.names.get(p);
    if (node === undefined) throw fsError('ENOENT', `${p}: no such file or directory`);
    if (node.kind === 'dir') return { size: 0, isDirectory: true, mtimeMs: node.mtimeMs };
    return { size: node.inode.size, isDirectory: false, mtimeMs: node.inode.mtimeMs };
  }

  async exists(path: string): Promise<boolean> {
    await Promise.resolve();
    return this.names.has(normalize(path));
  }

  async lock(path: string): Promise<FileLock | null> {
    const handle = await this.open(path, 'rw');
    const p = normalize(path);
    if (this.locked.has(p)) {
      await handle.close();
      return null;
    }
    this.locked.add(p);
    const generation = this.generation;
    return {
      handle,
      release: async () => {
        // a lock from before a crash died with its process
        if (this.generation === generation) this.locked.delete(p);
        await handle.close();
      },
    };
  }

  async syncDir(path: string): Promise<void> {
    await Promise.resolve();
    const p = normalize(path);
    const node = this.names.get(p);
    if (node === undefined) throw fsError('ENOENT', `${p}: no such directory`);
    if (node.kind !== 'dir') throw fsError('ENOTDIR', `${p}: not a directory`);
    this.stats.dirSyncs++;
    if (!this.trackDurability) return;
    const isChild = (k: string): boolean => k !== p && k !== '/' && dirName(k) === p;
    for (const k of [...this.durableNames.keys()]) if (isChild(k) && this.names.get(k) !== this.durableNames.get(k)) this.durableNames.delete(k);
    for (const [k, n] of this.names) if (isChild(k)) this.durableNames.set(k, n);
  }

  // ---- test helpers -----------------------------------------------------------

  /** Every file path currently present (tests). */
  listFiles(): string[] {
    return [...this.names].filter(([, n]) => n.kind === 'file').map(([k]) => k);
  }
}
