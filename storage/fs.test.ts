import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { joinPath, readFileIfExists, writeFileAtomic, type FileSystem } from './fs.js';
import { MemoryFileSystem } from './fs-memory.js';
import { RealFileSystem } from './fs-real.js';

const tmpDirs: string[] = [];
afterEach(async () => {
  for (const d of tmpDirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const impls: [string, () => Promise<{ fs: FileSystem; root: string }>][] = [
  ['real', async () => {
    const root = await mkdtemp(join(tmpdir(), 'kafkalite-fs-'));
    tmpDirs.push(root);
    return { fs: new RealFileSystem(), root };
  }],
  ['memory', async () => ({ fs: new MemoryFileSystem(), root: '/data' })],
];

describe.each(impls)('FileSystem contract (%s)', (_name, make) => {
  it('writes, reads back, appends at positions, truncates', async () => {
    const { fs, root } = await make();
    await fs.mkdir(joinPath(root, 'a/b'));
    const p = joinPath(root, 'a/b/f.log');
    const fh = await fs.open(p, 'rw');
    await fh.writev([Buffer.from('hello '), Buffer.from('world')], 0);
    await fh.writev([Buffer.from('!')], 11);
    expect(await fh.size()).toBe(12);
    const buf = Buffer.alloc(20);
    expect(await fh.read(buf, 0, 20, 0)).toBe(12);
    expect(buf.subarray(0, 12).toString()).toBe('hello world!');
    expect(await fh.read(buf, 0, 5, 6)).toBe(5);
    expect(buf.subarray(0, 5).toString()).toBe('world');
    await fh.sync();
    await fh.truncate(5);
    expect(await fh.size()).toBe(5);
    await fh.close();
    expect((await fs.readFile(p)).toString()).toBe('hello');
    expect((await fs.stat(p)).size).toBe(5);
    expect((await fs.stat(joinPath(root, 'a'))).isDirectory).toBe(true);
  });

  it('lists, renames, unlinks, removes trees', async () => {
    const { fs, root } = await make();
    await fs.mkdir(joinPath(root, 'd'));
    await fs.writeFile(joinPath(root, 'd/x'), Buffer.from('1'));
    await fs.writeFile(joinPath(root, 'd/y'), Buffer.from('2'));
    expect((await fs.readdir(joinPath(root, 'd'))).sort()).toEqual(['x', 'y']);
    await fs.rename(joinPath(root, 'd/x'), joinPath(root, 'd/z'));
    expect((await fs.readdir(joinPath(root, 'd'))).sort()).toEqual(['y', 'z']);
    await fs.unlink(joinPath(root, 'd/y'));
    await fs.unlink(joinPath(root, 'd/missing'));
    expect(await fs.exists(joinPath(root, 'd/y'))).toBe(false);
    expect(await fs.exists(joinPath(root, 'd/z'))).toBe(true);
    await fs.syncDir(joinPath(root, 'd'));
    await fs.rmrf(joinPath(root, 'd'));
    expect(await fs.exists(joinPath(root, 'd'))).toBe(false);
    expect(await readFileIfExists(fs, joinPath(root, 'd/z'))).toBeUndefined();
  });

  it('opening a missing file read-only fails with ENOENT; rw-truncate empties', async () => {
    const { fs, root } = await make();
    await fs.mkdir(root);
    await expect(fs.open(joinPath(root, 'nope'), 'r')).rejects.toMatchObject({ code: 'ENOENT' });
    await fs.writeFile(joinPath(root, 'f'), Buffer.from('abc'));
    const fh = await fs.open(joinPath(root, 'f'), 'rw-truncate');
    expect(await fh.size()).toBe(0);
    await fh.close();
  });

  it('writeFileAtomic replaces contents', async () => {
    const { fs, root } = await make();
    await fs.mkdir(root);
    await writeFileAtomic(fs, joinPath(root, 'm.json'), Buffer.from('one'));
    await writeFileAtomic(fs, joinPath(root, 'm.json'), Buffer.from('two'));
    expect((await fs.readFile(joinPath(root, 'm.json'))).toString()).toBe('two');
    expect(await fs.exists(joinPath(root, 'm.json.tmp'))).toBe(false);
  });
});

describe('MemoryFileSystem crash model', () => {
  it('keeps only fsynced bytes of dir-synced names', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdir('/d');
    await fs.syncDir('/');
    const fh = await fs.open('/d/f', 'rw');
    await fh.writev([Buffer.from('durable')], 0);
    await fh.sync();
    await fh.writev([Buffer.from('-lost')], 7);
    await fs.syncDir('/d');
    const never = await fs.open('/d/never-dir-synced', 'rw');
    await never.writev([Buffer.from('x')], 0);
    await never.sync();
    fs.crash();
    expect((await fs.readFile('/d/f')).toString()).toBe('durable');
    expect(await fs.exists('/d/never-dir-synced')).toBe(false);
    await expect(fh.writev([Buffer.from('zombie')], 0)).rejects.toMatchObject({ code: 'EIO' });
  });

  it('a rename is undone by a crash unless the directory was synced', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdir('/d');
    await fs.syncDir('/');
    await writeFileAtomic(fs, '/d/m', Buffer.from('v1'));
    const fh = await fs.open('/d/m.tmp', 'rw-truncate');
    await fh.writev([Buffer.from('v2')], 0);
    await fh.sync();
    await fh.close();
    await fs.rename('/d/m.tmp', '/d/m');
    fs.crash();
    expect((await fs.readFile('/d/m')).toString()).toBe('v1');
  });

  it('a directory never linked durably loses everything under it', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdir('/d/e');
    await writeFileAtomic(fs, '/d/e/f', Buffer.from('x')); // syncs /d/e, not / or /d
    fs.crash();
    expect(await fs.exists('/d')).toBe(false);
  });

  it('a sync in flight at the crash does not count; later writes are copy-on-write', async () => {
    let release!: () => void;
    const fs = new MemoryFileSystem();
    await fs.mkdir('/d');
    await fs.syncDir('/');
    const fh = await fs.open('/d/f', 'rw');
    await fs.syncDir('/d');
    await fh.writev([Buffer.alloc(70_000, 1)], 0);
    await fh.sync();
    await fh.writev([Buffer.alloc(10, 2)], 69_990); // overwrite inside a synced chunk
    fs.syncDelay = () => new Promise<void>((r) => (release = r));
    const pending = fh.sync();
    fs.crash();
    release();
    await expect(pending).rejects.toMatchObject({ code: 'EIO' });
    const data = await fs.readFile('/d/f');
    expect(data.length).toBe(70_000);
    expect(data.every((b) => b === 1)).toBe(true);
  });

  it('injects write and sync failures, optionally torn', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdir('/d');
    const fh = await fs.open('/d/f', 'rw');
    fs.failNextWrite({ partialBytes: 3 });
    await expect(fh.writev([Buffer.from('abcdef')], 0)).rejects.toMatchObject({ code: 'EIO' });
    expect((await fs.readFile('/d/f')).toString()).toBe('abc');
    fs.failNextSync({ path: /other/ });
    fs.failNextSync();
    await expect(fh.sync()).rejects.toMatchObject({ code: 'EIO' });
    await fh.sync();
    expect(fs.stats.syncs).toBe(1);
  });
});
