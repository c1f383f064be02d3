// Dynamic broker configs, as `kafka-configs --entity-type brokers` sets them:
// per broker (resource name = its node id) and the cluster default (empty
// name). Kafka marks dynamic the broker configs that supply a topic default
// (log.retention.ms, log.segment.bytes, message.max.bytes, compression.type,
// min.insync.replicas ...; see isDynamicBrokerConfig), so a change reaches every
// topic without its own override at once.
//
// One owner: this class holds the stored sets and the effective BrokerConfig
// (static settings under the cluster default under this broker's), which
// handlers read through the broker context. The sets live in
// <data-dir>/kafkalite-broker-configs.json, apart from the topic metadata
// (kafkalite-topics.json): Kafka keeps them as BROKER config records beside the
// topics, but here they are the broker's own settings, and a separate file keeps
// the topics file's format unchanged. Written atomically; read at start, before
// any log opens, so the logs start with the defaults they had.
//
// Each node of a cluster has its own effective config: the static settings
// (node.id set to its id), under the cluster default, under its own set, as each
// Kafka broker resolves its own. A per-broker value of a topic default reaches
// the partitions that node leads (Cluster applies log configs by leader).
import { joinPath, readFileIfExists, writeFileAtomic, type FileSystem } from '../storage/fs.js';
import { resolveBrokerConfig, validateDynamicBrokerConfigs, type BrokerConfig, type ConfigValidationError } from './config.js';

export const BROKER_CONFIGS_FILE = 'kafkalite-broker-configs.json';

interface StoredFile {
  version: 1;
  /** The cluster default (empty resource name). */
  default: Record<string, string>;
  /** By node id. */
  brokers: Record<string, Record<string, string>>;
}

export class DynamicBrokerConfigs {
  private file: StoredFile;
  /** Effective configs by node id, resolved when first asked for. */
  private readonly byNode = new Map<number, BrokerConfig>();
  private clusterWide: BrokerConfig;

  private constructor(
    private readonly fs: FileSystem,
    private readonly dataDir: string,
    private readonly base: BrokerConfig,
    file: StoredFile,
  ) {
    this.file = file;
    this.clusterWide = this.resolve(file, undefined);
    this.forNode(base.nodeId);
  }

  /** Reads the stored sets; a set that no longer validates refuses the start with the reason. */
  static async open(fs: FileSystem, dataDir: string, base: BrokerConfig): Promise<DynamicBrokerConfigs> {
    const raw = await readFileIfExists(fs, joinPath(dataDir, BROKER_CONFIGS_FILE));
    let file: StoredFile = { version: 1, default: {}, brokers: {} };
    if (raw !== undefined) {
      const parsed = JSON.parse(raw.toString('utf8')) as StoredFile;
      if (parsed.version !== 1) throw new Error(`${BROKER_CONFIGS_FILE}: unsupported version ${String(parsed.version)}`);
      file = { version: 1, default: parsed.default ?? {}, brokers: parsed.brokers ?? {} };
    }
    return new DynamicBrokerConfigs(fs, dataDir, base, file);
  }

  /** The first node's effective config (a single-node broker's). */
  get current(): BrokerConfig {
    return this.forNode(this.base.nodeId);
  }

  /** A node's effective config: the static settings with the cluster default and its own set applied. */
  forNode(nodeId: number): BrokerConfig {
    let config = this.byNode.get(nodeId);
    if (!config) this.byNode.set(nodeId, (config = this.resolve(this.file, nodeId)));
    return config;
  }

  /** The static settings with the cluster default only: what a partition without a leader gets. */
  get withoutNode(): BrokerConfig {
    return this.clusterWide;
  }

  /** Whether some node has a set of its own (then log configs follow each partition's leader). */
  get hasNodeSets(): boolean {
    return Object.values(this.file.brokers).some((set) => Object.keys(set).length > 0);
  }

  private resolve(file: StoredFile, nodeId: number | undefined): BrokerConfig {
    let explicit: ReadonlyMap<string, string> = this.base.explicit;
    // The other nodes of a cluster share the static settings but for their id.
    if (nodeId !== undefined && nodeId !== this.base.nodeId) {
      explicit = new Map([...explicit].filter(([k]) => k !== 'broker.id' && k !== 'node.id')).set('node.id', String(nodeId));
    }
    const resolved = resolveBrokerConfig(explicit, {
      dynamic: { default: file.default, broker: nodeId === undefined ? {} : (file.brokers[String(nodeId)] ?? {}) },
    });
    // `explicit` holds only the table's names: the listener-prefixed settings come along as they are.
    return { ...resolved, listenerConfigs: this.base.listenerConfigs };
  }

  private withSet(resourceName: string, configs: Record<string, string>): StoredFile {
    if (resourceName === '') return { ...this.file, default: { ...configs } };
    return { ...this.file, brokers: { ...this.file.brokers, [resourceName]: { ...configs } } };
  }

  /** The stored set of a resource ('' is the cluster default). */
  stored(resourceName: string): Readonly<Record<string, string>> {
    return resourceName === '' ? this.file.default : (this.file.brokers[resourceName] ?? {});
  }

  /** Checks `configs` as the complete new set of the resource, resolved for the node `nodeId` that received it. */
  validate(resourceName: string, configs: Record<string, string>, nodeId: number): ConfigValidationError | null {
    return validateDynamicBrokerConfigs(configs, (c) => this.resolve(this.withSet(resourceName, c), nodeId));
  }

  /** Makes `configs` (validated) the resource's set: persisted first, then effective. */
  async replace(resourceName: string, configs: Record<string, string>): Promise<void> {
    const next = this.withSet(resourceName, configs);
    const clusterWide = this.resolve(next, undefined);
    await writeFileAtomic(this.fs, joinPath(this.dataDir, BROKER_CONFIGS_FILE), Buffer.from(`${JSON.stringify(next, null, 2)}\n`));
    this.file = next;
    this.clusterWide = clusterWide;
    this.byNode.clear();
  }
}
