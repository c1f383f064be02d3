// The producer-state snapshot files of one log, `<offset>.producer-snapshot`
// (producer state as of that offset, producer-state.ts serializes it): written
// when a segment is sealed and at clean shutdown, the newest three kept, those
// below the log start dropped (but never the newest). The loader picks the one
// to start from.

import { joinPath, type FileSystem } from '../fs.js';
import { SNAPSHOT_SUFFIX, offsetFileName, writeAndSync } from '../segment.js';

const SNAPSHOTS_TO_KEEP = 3;

export class ProducerSnapshots {
  /** Offsets of the snapshot files on disk, ascending. */
  private offsets: number[] = [];

  constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
  ) {}

  path(offset: number): string {
    return joinPath(this.dir, offsetFileName(offset, SNAPSHOT_SUFFIX));
  }

  /** No snapshot file is there. */
  get none(): boolean {
    return this.offsets.length === 0;
  }

  /** Sets the files present, ascending (a load). */
  reset(offsets: number[]): void {
    this.offsets = offsets;
  }

  /** Writes and fsyncs the snapshot at `offset` (the caller fsyncs the directory), keeping the newest three. */
  async write(offset: number, data: Buffer): Promise<void> {
    await writeAndSync(this.fs, this.path(offset), data);
    if (!this.offsets.includes(offset)) {
      this.offsets.push(offset);
      this.offsets.sort((a, b) => a - b);
    }
    while (this.offsets.length > SNAPSHOTS_TO_KEEP) {
      const old = this.offsets.shift()!;
      await this.fs.unlink(this.path(old));
    }
  }

  /** Deletes the snapshots below the log start `offset`, except the newest. */
  async deleteBelow(offset: number): Promise<void> {
    for (const off of [...this.offsets]) {
      if (off < offset && off !== this.offsets[this.offsets.length - 1]) {
        this.offsets.splice(this.offsets.indexOf(off), 1);
        await this.fs.unlink(this.path(off));
      }
    }
  }
}
