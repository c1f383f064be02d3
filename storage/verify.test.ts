// verify finds each fault injected into a data directory written by the
// storage layer, and none in an untouched one.
import { describe, expect, it } from 'vitest';
import { joinPath } from './fs.js';
import { MemoryFileSystem } from './fs-memory.js';
import { offsetFileName } from './segment.js';
import { LogManager } from './log-manager.js';
import { simpleBatch } from './test-batches.js';
import { memoryEnv, testConfig } from './test-env.js';
import { verifyDataDir } from './verify.js';

const DATA = '/data/kafka-data';
const T = `${DATA}/t-0`;

/** t-0 with several segments, indexes every batch, producer snapshots; stopped cleanly. */
async function build(): Promise<{ fs: MemoryFileSystem; logs: string[] }> {
  const fs = new MemoryFileSystem();
  await memoryEnv(fs);
  const m = await LogManager.open({ dataDir: DATA, fs, background: false });
  await m.createLogs({ topicId: '00000000-0000-4000-8000-000000000001', topic: 't', config: testConfig({ segmentBytes: 1500, indexIntervalBytes: 1 }) }, 0, 1);
  for (let i = 0; i < 24; i++) await m.log('t', 0)!.append(simpleBatch(3, { valueBytes: 50, producerId: 9, producerEpoch: 0, baseSequence: i * 3 })).written;
  await m.close();
  const logs = (await fs.readdir(T)).filter((n) => n.endsWith('.log')).sort();
  return { fs, logs };
}

async function patch(fs: MemoryFileSystem, path: string, at: number, bytes: Buffer): Promise<void> {
  const fh = await fs.open(path, 'rw');
  await fh.writev([bytes], at < 0 ? (await fh.size()) + at : at);
  await fh.close();
}

async function flip(fs: MemoryFileSystem, path: string, at: number): Promise<void> {
  const data = await fs.readFile(path);
  const pos = at < 0 ? data.length + at : at;
  await patch(fs, path, pos, Buffer.from([data[pos]! ^ 0x10]));
}

describe('verify', () => {
  it('reports an untouched directory as sound, with its counts', async () => {
    const { fs, logs } = await build();
    const r = await verifyDataDir(fs, DATA);
    expect(r.faults).toEqual([]);
    expect(r.files).toEqual(['recovery-point-offset-checkpoint', 'log-start-offset-checkpoint']);
    const p = r.partitions.find((x) => x.dir === 't-0')!;
    expect(p.segments.map((s) => s.file)).toEqual(logs);
    expect(p.segments.reduce((n, s) => n + s.batches, 0)).toBe(24);
    expect(p.segments.reduce((n, s) => n + s.records, 0)).toBe(72);
    expect(p.segments[p.segments.length - 1]!.nextOffset).toBe(72);
    expect(p.indexEntries).toBeGreaterThan(10);
    expect(p.snapshots).toBeGreaterThan(0);
  });

  const faults: [string, (fs: MemoryFileSystem, logs: string[]) => Promise<void>, RegExp, RegExp][] = [
    ['a flipped byte in an old segment', (fs, logs) => flip(fs, `${T}/${logs[0]}`, 100), /t-0\/0+\.log$/, /CRC mismatch/],
    ['a flipped byte at the end of the active segment', (fs, logs) => flip(fs, `${T}/${logs[logs.length - 1]}`, -3), /\.log$/, /CRC mismatch/],
    ['a rewritten base offset', (fs, logs) => patch(fs, `${T}/${logs[1]}`, 0, Buffer.alloc(8, 0)), /\.log$/, /base offset 0, expected/],
    ['a bad magic', (fs, logs) => patch(fs, `${T}/${logs[0]}`, 16, Buffer.from([1])), /\.log$/, /magic 1/],
    ['a torn tail', async (fs, logs) => {
      const fh = await fs.open(`${T}/${logs[logs.length - 1]}`, 'rw');
      await fh.truncate((await fh.size()) - 7);
      await fh.close();
    }, /\.log$/, /partial batch/],
    // (a missing segment is a gap, which any log may have after compaction)
    ['segments that overlap', (fs, logs) => fs.rename(`${T}/${logs[1]}`, `${T}/${offsetFileName(Number(logs[1]!.slice(0, 20)) - 1, '.log')}`), /\.log$/, /segment starts at \d+, the previous one ends before/],
    ['an index entry pointing inside a batch', (fs, logs) => patch(fs, `${T}/${logs[0]!.replace('.log', '.index')}`, 12, Buffer.from([0, 0, 0, 0x63])), /\.index$/, /not the start of a batch|out of order/],
    ['an index entry with the wrong offset', async (fs, logs) => {
      const idx = await fs.readFile(`${T}/${logs[0]!.replace('.log', '.index')}`);
      const rel = idx.readInt32BE(8);
      const next = idx.readInt32BE(16);
      const b = Buffer.alloc(4);
      b.writeInt32BE(Math.min(rel + 1, next - 1));
      await patch(fs, `${T}/${logs[0]!.replace('.log', '.index')}`, 8, b);
    }, /\.index$/, /but the batch at \d+ ends at/],
    ['a time index going backwards', async (fs, logs) => {
      const path = `${T}/${logs[0]!.replace('.log', '.timeindex')}`;
      await patch(fs, path, (await fs.readFile(path)).length, Buffer.alloc(12, 0)); // a last entry at timestamp 0
    }, /\.timeindex$/, /out of order/],
    ['a time index entry naming the wrong timestamp', async (fs, logs) => {
      const path = `${T}/${logs[0]!.replace('.log', '.timeindex')}`;
      const ti = await fs.readFile(path);
      // the last entry keeps its timestamp but names the offset before it
      const rel = Buffer.alloc(4);
      rel.writeInt32BE(ti.readInt32BE(ti.length - 4) - 1);
      await patch(fs, path, ti.length - 4, rel);
    }, /\.timeindex$/, /is not the last offset of a batch|but the batch ending at|out of order/],
    ['a damaged producer snapshot', async (fs) => {
      const snap = (await fs.readdir(T)).find((n) => n.endsWith('.producer-snapshot'))!;
      await flip(fs, `${T}/${snap}`, -2);
    }, /\.producer-snapshot$/, /invalid producer snapshot/],
    ['an index without its segment', (fs) => fs.writeFile(`${T}/00000000000000099999.index`, Buffer.alloc(0)), /99999\.index$/, /without its segment/],
    ['a malformed checkpoint', (fs) => fs.writeFile(`${DATA}/recovery-point-offset-checkpoint`, Buffer.from('0\n2\nt 0 5\n')), /recovery-point-offset-checkpoint$/, /malformed/],
    ['a malformed partition.metadata', (fs) => fs.writeFile(`${T}/partition.metadata`, Buffer.from('version: 7\n')), /partition\.metadata$/, /malformed/],
  ];
  for (const [what, inject, file, problem] of faults) {
    it(`finds ${what}`, async () => {
      const { fs, logs } = await build();
      await inject(fs, logs);
      const r = await verifyDataDir(fs, DATA);
      expect(r.faults.length, JSON.stringify(r.faults)).toBeGreaterThan(0);
      expect(r.faults.some((f) => file.test(f.file) && problem.test(f.problem)), JSON.stringify(r.faults)).toBe(true);
    });
  }

  it('reads every file with the storage file system and reports what it cannot read as an error, not a fault', async () => {
    const { fs } = await build();
    fs.failNextOpen({ path: /\.log$/, code: 'EACCES' });
    await expect(verifyDataDir(fs, joinPath(DATA))).rejects.toMatchObject({ code: 'EACCES' });
  });
});
