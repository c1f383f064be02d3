import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirLockedError, LOCK_FILE, lockDataDir } from './dir-lock.js';
import { MemoryFileSystem } from './fs-memory.js';
import { RealFileSystem } from './fs-real.js';

describe('data directory lock', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('on the real disk: a second lock in this process is refused, naming the holder, until the first is released', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kafkalite-lock-'));
    dirs.push(dir);
    const fs = new RealFileSystem();
    const first = await lockDataDir(fs, dir);
    const holder = JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')) as { pid: number; host: string };
    expect(holder).toMatchObject({ pid: process.pid, host: hostname() });

    const refused = await lockDataDir(new RealFileSystem(), dir).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DataDirLockedError);
    expect((refused as DataDirLockedError).holder?.pid).toBe(process.pid);
    expect((refused as Error).message).toContain(`pid ${process.pid}`);
    expect((refused as Error).message).toContain(dir);

    await first.release();
    const again = await lockDataDir(fs, dir);
    await again.release();
  });

  it('in memory: one holder per disk and path; another disk or directory is independent; a crash frees it', async () => {
    const disk = new MemoryFileSystem();
    await disk.mkdir('/a');
    await disk.mkdir('/b');
    const a = await lockDataDir(disk, '/a');
    await expect(lockDataDir(disk, '/a')).rejects.toBeInstanceOf(DataDirLockedError);
    const b = await lockDataDir(disk, '/b');
    const other = new MemoryFileSystem();
    await other.mkdir('/a');
    const otherA = await lockDataDir(other, '/a');
    await Promise.all([b.release(), otherA.release()]);

    // power loss: the holding process is gone, and so is its lock
    await disk.syncDir('/');
    disk.crash();
    const afterCrash = await lockDataDir(disk, '/a');
    await a.release(); // the dead holder's release must not free the new holder's lock
    await expect(lockDataDir(disk, '/a')).rejects.toBeInstanceOf(DataDirLockedError);
    await afterCrash.release();
  });

  it('an I/O error taking the lock is reported as such, not as a held lock', async () => {
    const disk = new MemoryFileSystem();
    await disk.mkdir('/d');
    disk.failNextOpen({ path: `/d/${LOCK_FILE}`, code: 'EMFILE' });
    await expect(lockDataDir(disk, '/d')).rejects.toMatchObject({ code: 'EMFILE' });
    const l = await lockDataDir(disk, '/d');
    await l.release();
  });
});
