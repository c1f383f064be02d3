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
// A cluster of several nodes shares one set of topic defaults, so per-broker
// configs are accepted only for a single-node broker; the cluster default always.
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
  private effective: BrokerConfig;

  private constructor(
    private readonly fs: FileSystem,
    private readonly dataDir: string,
    private readonly base: BrokerConfig,
    file: StoredFile,
  ) {
    this.file = file;
    this.effective = this.resolve(file);
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

  /** The static settings with the dynamic ones applied. */
  get current(): BrokerConfig {
    return this.effective;
  }

  private resolve(file: StoredFile): BrokerConfig {
    const resolved = resolveBrokerConfig(this.base.explicit, {
      dynamic: { default: file.default, broker: file.brokers[String(this.base.nodeId)] ?? {} },
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

  /** Checks `configs` as the complete new set of the resource. */
  validate(resourceName: string, configs: Record<string, string>): ConfigValidationError | null {
    return validateDynamicBrokerConfigs(configs, (c) => this.resolve(this.withSet(resourceName, c)));
  }

  /** Makes `configs` (validated) the resource's set: persisted first, then effective. */
  async replace(resourceName: string, configs: Record<string, string>): Promise<BrokerConfig> {
    const next = this.withSet(resourceName, configs);
    const effective = this.resolve(next);
    await writeFileAtomic(this.fs, joinPath(this.dataDir, BROKER_CONFIGS_FILE), Buffer.from(`${JSON.stringify(next, null, 2)}\n`));
    this.file = next;
    this.effective = effective;
    return effective;
  }
}
