// FileSystem on node:fs/promises. `sync()` is fdatasync (the size change of an
// append is metadata fdatasync does flush); `syncDir()` opens the directory and
// fsyncs it, which is how a new or renamed name becomes durable on Linux.
//
// `lock()` is a real OS lock: Node has none, so it comes from fs-native-extensions
// (prebuilt binaries, no install script), which takes an open-file-description
// lock (fcntl F_OFD_SETLK) on Linux, flock on macOS, LockFileEx on Windows. Such
// a lock is tied to one open() of the file: a second open in the same process
// conflicts too, and the kernel drops it when the process dies (no stale locks,
// no pid guessing).

import { constants, promises as fsp, readFile, writevSync } from 'node:fs';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import type { FileHandle, FileLock, FileStat, FileSystem, OpenMode } from './fs.js';

interface NativeLocks {
  tryLock(fd: number): boolean;
  unlock(fd: number): void;
}
// Loaded on the first lock(): the addon costs tens of ms at start-up, and an
// in-memory broker (or a read-only tool) never locks.
let nativeLocksLoaded: NativeLocks | undefined;
const nativeLocks = (): NativeLocks => (nativeLocksLoaded ??= createRequire(import.meta.url)('fs-native-extensions') as NativeLocks);

const byteLength = (bufs: readonly Buffer[]): number => {
  let n = 0;
  for (const b of bufs) n += b.length;
  return n;
};

const readFileAsync = promisify(readFile);

class RealFileHandle implements FileHandle {
  constructor(
    readonly path: string,
    readonly fh: fsp.FileHandle,
  ) {}

  async read(buf: Buffer, offset: number, length: number, position: number): Promise<number> {
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.fh.read(buf, offset + done, length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done;
  }

  async writev(bufs: readonly Buffer[], position: number): Promise<void> {
    const total = byteLength(bufs);
    let written = 0;
    let list: Buffer[] = bufs as Buffer[];
    for (;;) {
      const { bytesWritten } = await this.fh.writev(list, position + written);
      written += bytesWritten;
      if (written >= total) return;
      list = this.rest(list, bytesWritten);
    }
  }

  writevSync(bufs: readonly Buffer[], position: number): void {
    const total = byteLength(bufs);
    let written = 0;
    let list: Buffer[] = bufs as Buffer[];
    for (;;) {
      const bytesWritten = writevSync(this.fh.fd, list, position + written);
      written += bytesWritten;
      if (written >= total) return;
      list = this.rest(list, bytesWritten);
    }
  }

  /** After a short write of `n` bytes: what is left of `list`. */
  private rest(list: Buffer[], n: number): Buffer[] {
    if (n === 0) throw new Error(`writev to ${this.path} made no progress`);
    let skip = n;
    const rest: Buffer[] = [];
    for (const b of list) {
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      rest.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
    return rest;
  }

  sync(): Promise<void> {
    return this.fh.datasync();
  }

  truncate(length: number): Promise<void> {
    return this.fh.truncate(length);
  }

  async size(): Promise<number> {
    return (await this.fh.stat()).size;
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

const FLAGS: Record<OpenMode, number> = {
  r: constants.O_RDONLY,
  rw: constants.O_RDWR | constants.O_CREAT,
  'rw-truncate': constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC,
};

export class RealFileSystem implements FileSystem {
  readonly kind = 'real' as const;

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    return new RealFileHandle(path, await fsp.open(path, FLAGS[mode], 0o644));
  }

  readFile(path: string): Promise<Buffer> {
    // the callback form: fsp.readFile costs ~3x the CPU (a FileHandle, chunked reads), which
    // shows when a start reads the small files of thousands of partitions
    return readFileAsync(path);
  }

  async volume(path: string): Promise<{ totalBytes: number; usableBytes: number }> {
    const st = await fsp.statfs(path);
    return { totalBytes: st.blocks * st.bsize, usableBytes: st.bavail * st.bsize };
  }

  writeFile(path: string, data: Buffer): Promise<void> {
    return fsp.writeFile(path, data);
  }

  rename(from: string, to: string): Promise<void> {
    return fsp.rename(from, to);
  }

  async unlink(path: string): Promise<void> {
    await fsp.rm(path, { force: true });
  }

  async mkdir(path: string): Promise<void> {
    await fsp.mkdir(path, { recursive: true });
  }

  async rmrf(path: string): Promise<void> {
    await fsp.rm(path, { recursive: true, force: true });
  }

  readdir(path: string): Promise<string[]> {
    return fsp.readdir(path);
  }

  async stat(path: string): Promise<FileStat> {
    const s = await fsp.stat(path);
    return { size: s.size, isDirectory: s.isDirectory(), mtimeMs: s.mtimeMs };
  }

  async exists(path: string): Promise<boolean> {
    try {
      await fsp.access(path);
      return true;
    } catch (e) {
      // only "not there" means absent; EACCES, EIO, EMFILE... are failures, not answers
      const code = (e as { code?: unknown }).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return false;
      throw e;
    }
  }

  async lock(path: string): Promise<FileLock | null> {
    const handle = new RealFileHandle(path, await fsp.open(path, FLAGS.rw, 0o644));
    let locked: boolean;
    try {
      locked = nativeLocks().tryLock(handle.fh.fd);
    } catch (e) {
      await handle.close();
      throw e;
    }
    if (!locked) {
      await handle.close();
      return null;
    }
    return {
      handle,
      release: async () => {
        nativeLocks().unlock(handle.fh.fd);
        await handle.close();
      },
    };
  }

  async syncDir(path: string): Promise<void> {
    const fh = await fsp.open(path, constants.O_RDONLY);
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
}
