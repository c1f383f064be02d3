// Producer ids for idempotent producers: unique for the life of the data
// directory, across restarts. Ids are handed out from blocks; a block is
// reserved on disk (atomically, durably) before any id in it is used, so a
// crash can skip ids but never repeat one.
import type { FileSystem } from '../storage/fs.js';
import { joinPath, writeFileAtomic } from '../storage/fs.js';

const FILE = 'producer-id-block';
const BLOCK = 1000;

export class ProducerIdManager {
  private next = 0;
  private reservedUpTo = 0;
  private reserving: Promise<void> | null = null;

  private constructor(
    private readonly fs: FileSystem,
    private readonly path: string,
  ) {}

  static async open(fs: FileSystem, dataDir: string): Promise<ProducerIdManager> {
    const m = new ProducerIdManager(fs, joinPath(dataDir, FILE));
    if (await fs.exists(m.path)) {
      const stored = Number((await fs.readFile(m.path)).toString('utf8').trim());
      if (!Number.isSafeInteger(stored) || stored < 0) throw new Error(`${m.path} holds no producer id: ${stored}`);
      m.next = m.reservedUpTo = stored;
    }
    return m;
  }

  /** Hands out ids from 0 again (the test double's reset, once no log holds producer state). */
  async reset(): Promise<void> {
    await this.reserving;
    if (await this.fs.exists(this.path)) await this.fs.unlink(this.path);
    this.next = this.reservedUpTo = 0;
  }

  async nextId(): Promise<bigint> {
    while (this.next >= this.reservedUpTo) {
      this.reserving ??= (async () => {
        const upTo = this.reservedUpTo + BLOCK;
        await writeFileAtomic(this.fs, this.path, Buffer.from(`${upTo}\n`));
        this.reservedUpTo = upTo;
      })().finally(() => (this.reserving = null));
      await this.reserving;
    }
    return BigInt(this.next++);
  }
}
