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
// Both versions may carry `groupConfigs` (per-group configs, group id -> name ->
// value; Kafka keeps them in its metadata log beside the topics): optional, so
// older files load without it and older code ignores it. `clientQuotas` likewise
// (AlterClientQuotas' entities and values, Kafka's ClientQuotaRecords).
import type { StoredClientQuota } from './quotas/client-quotas.js';
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

/** Group id -> config name -> value. */
export type StoredGroupConfigs = Record<string, Record<string, string>>;

export interface StoredMetadata {
  topics: StoredTopic[];
  groupConfigs: StoredGroupConfigs;
  clientQuotas: StoredClientQuota[];
}

interface TopicsFile {
  version: 1 | 2;
  topics: StoredTopic[];
  groupConfigs?: StoredGroupConfigs;
  clientQuotas?: StoredClientQuota[];
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
    return (await this.loadMetadata()).topics;
  }

  async loadMetadata(): Promise<StoredMetadata> {
    const raw = await readFileIfExists(this.fs, this.path);
    if (raw === undefined) return { topics: [], groupConfigs: {}, clientQuotas: [] };
    let parsed: TopicsFile;
    try {
      parsed = JSON.parse(raw.toString('utf8')) as TopicsFile;
    } catch (e) {
      throw new Error(`${this.path} is not valid JSON; refusing to start`, { cause: e });
    }
    if ((parsed.version !== 1 && parsed.version !== 2) || !Array.isArray(parsed.topics)) {
      throw new Error(`${this.path}: unsupported version ${String(parsed.version)}`);
    }
    const topics = parsed.topics.map((t) => ({
      name: t.name,
      topicId: t.topicId,
      partitions: t.partitions,
      configs: t.configs ?? {},
      leaders: parsed.version === 2 && Array.isArray(t.leaders) ? t.leaders : undefined,
    }));
    const groups = parsed.groupConfigs;
    return {
      topics,
      groupConfigs: groups !== null && typeof groups === 'object' && !Array.isArray(groups) ? groups : {},
      clientQuotas: Array.isArray(parsed.clientQuotas) ? parsed.clientQuotas : [],
    };
  }

  /** Persists `snapshot()` as taken when this write's turn comes. */
  save(snapshot: () => StoredMetadata): Promise<void> {
    const run = this.tail.then(() => {
      const { topics, groupConfigs, clientQuotas } = snapshot();
      const data: TopicsFile = {
        version: 2,
        topics,
        ...(Object.keys(groupConfigs).length > 0 ? { groupConfigs } : {}),
        ...(clientQuotas.length > 0 ? { clientQuotas } : {}),
      };
      return writeFileAtomic(this.fs, this.path, Buffer.from(`${JSON.stringify(data, null, 2)}\n`));
    });
    this.tail = run.catch(() => undefined);
    return run;
  }
}
