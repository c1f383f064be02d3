// The cluster's topic metadata on disk: <data-dir>/kafkalite-topics.json, replaced
// atomically (temp file, fsync, rename, directory fsync) after every change.
//
//   version 1: topics with name, topicId, partitions (a count) and configs
//   version 2: the same, plus per partition its leader and leader epoch, so a
//              restart keeps leadership and epochs never go backwards (clients
//              cache epochs and would be fenced by a smaller one)
//
// Version 1 files (written before several nodes existed) still load; their
// partitions get leaders as new partitions do, at epoch 0. Only version 2 is written.
import { joinPath, readFileIfExists, writeFileAtomic, type FileSystem } from '../storage/fs.js';

export const TOPICS_FILE = 'kafkalite-topics.json';

export interface StoredPartition {
  leaderId: number;
  leaderEpoch: number;
}

export interface StoredTopic {
  name: string;
  topicId: string;
  partitions: number;
  configs: Record<string, string>;
  /** Absent in version 1 files. */
  leaders?: StoredPartition[];
}

interface TopicsFile {
  version: 1 | 2;
  topics: StoredTopic[];
}

export class ClusterStore {
  /** Writes are chained so the file always ends with the latest snapshot. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly fs: FileSystem,
    private readonly dataDir: string,
  ) {}

  private get path(): string {
    return joinPath(this.dataDir, TOPICS_FILE);
  }

  async load(): Promise<StoredTopic[]> {
    const raw = await readFileIfExists(this.fs, this.path);
    if (raw === undefined) return [];
    let parsed: TopicsFile;
    try {
      parsed = JSON.parse(raw.toString('utf8')) as TopicsFile;
    } catch (e) {
      throw new Error(`${this.path} is not valid JSON; refusing to start`, { cause: e });
    }
    if ((parsed.version !== 1 && parsed.version !== 2) || !Array.isArray(parsed.topics)) {
      throw new Error(`${this.path}: unsupported version ${String(parsed.version)}`);
    }
    return parsed.topics.map((t) => ({
      name: t.name,
      topicId: t.topicId,
      partitions: t.partitions,
      configs: t.configs ?? {},
      leaders: parsed.version === 2 && Array.isArray(t.leaders) ? t.leaders : undefined,
    }));
  }

  /** Persists `snapshot()` as taken when this write's turn comes. */
  save(snapshot: () => StoredTopic[]): Promise<void> {
    const run = this.tail.then(() => {
      const data: TopicsFile = { version: 2, topics: snapshot() };
      return writeFileAtomic(this.fs, this.path, Buffer.from(`${JSON.stringify(data, null, 2)}\n`));
    });
    this.tail = run.catch(() => undefined);
    return run;
  }
}
