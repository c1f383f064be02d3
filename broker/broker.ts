// startBroker(): the whole broker in one call. For a test run it defaults to an
// ephemeral port and in-memory storage; the CLI passes a data directory.
import { createServer, type Server, type Socket } from 'node:net';
import { hostname } from 'node:os';
import pino, { type Logger } from 'pino';
import { resolveBrokerConfig, type BrokerConfig } from './config.js';
import { Cluster, type BrokerNode, type TopicInfo } from './cluster.js';
import { systemClock, type Clock } from './clock.js';
import { Connection } from './connection.js';
import { HandlerRegistry } from './registry.js';
import { HANDLERS } from './handlers/index.js';
import type { BrokerContext } from './context.js';
import { LogManager } from '../storage/log-manager.js';
import { RealFileSystem } from '../storage/fs-real.js';
import { MemoryFileSystem } from '../storage/fs-memory.js';
import type { FileSystem } from '../storage/fs.js';
import { decompress } from '../protocol/compression.js';
import { loadOrCreateMetaProperties } from './meta-properties.js';
import { logConfigResolver } from './log-config.js';
import { ProducerIdManager } from './producer-ids.js';
import { storageTopicStore, clusterTopicFromStorage } from './topic-store.js';
import { clusterTopicView, createGroupCoordinator, waitForGroupState, type WaitForGroupOptions } from './group-service.js';
import type { GroupCoordinator } from './groups/coordinator.js';
import { OffsetsTopic } from './offsets/offsets-topic.js';
import type { GroupSnapshot } from './groups/classic-group.js';

export interface BrokerOptions {
  /** Kafka config overrides by Kafka name (`num.partitions`, `log.retention.ms`, ...). */
  config?: Record<string, string>;
  /** Bind host; overrides `listeners`. Default 127.0.0.1. */
  host?: string;
  /** Bind port; overrides `listeners`. Default 0 (any free port) unless `listeners` names one. */
  port?: number;
  /** Data directory; overrides `log.dirs`. Without it (or with `memory`) storage is in memory. */
  dataDir?: string;
  memory?: boolean;
  /** The file system under the log (tests inject a MemoryFileSystem to fail writes or simulate crashes). */
  fs?: FileSystem;
  logger?: Logger;
  clock?: Clock;
}

export interface RunningBroker {
  /** Host and port clients should use (the advertised listener). */
  readonly host: string;
  readonly port: number;
  /** `host:port`, ready for a client's bootstrap list. */
  readonly bootstrap: string;
  readonly clusterId: string;
  readonly config: BrokerConfig;
  readonly cluster: Cluster;
  readonly logs: LogManager;
  /** The data directory, or null when storage is in memory. */
  readonly dataDir: string | null;
  /** Resolves once the topic exists (created by any client or by auto-creation). */
  waitForTopic(name: string, opts?: { timeoutMs?: number }): Promise<TopicInfo>;
  /** The group coordinator, both protocols (state, rebalanceHistory / consumerRebalanceHistory, onRebalance / onConsumerRebalance). */
  readonly groups: GroupCoordinator;
  /**
   * Resolves once the consumer group is Stable (or Empty), optionally with exactly
   * `members` members: what a test awaits before producing to a group it started.
   */
  waitForGroupState(groupId: string, state?: 'Stable' | 'Empty', opts?: WaitForGroupOptions): Promise<GroupSnapshot>;
  close(): Promise<void>;
}

function waitForTopic(cluster: Cluster, name: string, timeoutMs = 30_000): Promise<TopicInfo> {
  const existing = cluster.topic(name);
  if (existing) return Promise.resolve(existing);
  return new Promise((resolve, reject) => {
    const onCreated = (t: TopicInfo) => {
      if (t.name !== name) return;
      clearTimeout(timer);
      cluster.off('topicCreated', onCreated);
      resolve(t);
    };
    const timer = setTimeout(() => {
      cluster.off('topicCreated', onCreated);
      reject(new Error(`topic ${name} did not appear within ${timeoutMs} ms`));
    }, timeoutMs);
    cluster.on('topicCreated', onCreated);
  });
}

/** A wildcard bind address is not something to tell clients; Kafka advertises the host name. */
function advertisableHost(bindHost: string): string {
  return bindHost === '' || bindHost === '0.0.0.0' || bindHost === '::' ? hostname() : bindHost;
}

export async function startBroker(opts: BrokerOptions = {}): Promise<RunningBroker> {
  const logger = opts.logger ?? pino({ level: 'silent' });
  const overrides: Record<string, string> = { ...opts.config };
  const explicitListener = overrides['listeners'] !== undefined;
  if (opts.dataDir !== undefined) overrides['log.dirs'] = opts.dataDir;
  const config = resolveBrokerConfig(overrides, { logger });
  const listener = config.listeners[0];
  const bindHost = opts.host ?? listener?.host ?? '127.0.0.1';
  const bindPort = opts.port ?? (explicitListener ? listener.port : 0);
  const clock = opts.clock ?? systemClock;
  const explicitDir = opts.dataDir !== undefined || config.explicit.has('log.dirs') || config.explicit.has('log.dir');
  const memory = opts.memory ?? !explicitDir;
  const fs = opts.fs ?? (memory ? new MemoryFileSystem() : new RealFileSystem());
  const dataDir = memory ? '/kafkalite-memory' : config.logDir;

  const meta = await loadOrCreateMetaProperties(fs, dataDir, { clusterId: config.clusterId, nodeId: config.nodeId });
  const logs = await LogManager.open({
    dataDir,
    fs,
    logger,
    clock,
    logConfig: logConfigResolver(config),
    producerIdExpirationMs: config.values['producer.id.expiration.ms'],
    retentionCheckIntervalMs: config.values['log.retention.check.interval.ms'],
    checkpointIntervalMs: config.values['log.flush.offset.checkpoint.interval.ms'],
    decompress: (codec, data) => decompress(codec as never, data),
  });
  const producerIds = await ProducerIdManager.open(fs, dataDir);

  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: bindHost, port: bindPort }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : bindPort;

  // Advertise what was configured, with the bound port where the config said 0 or the options overrode it.
  const advertised = config.advertisedListeners[0];
  const sameAsListener = config.advertisedListeners === config.listeners || overrides['advertised.listeners'] === undefined;
  const node: BrokerNode = {
    nodeId: config.nodeId,
    host: sameAsListener ? advertisableHost(bindHost) : advertised.host,
    port: sameAsListener || advertised.port === 0 ? boundPort : advertised.port,
    rack: null,
  };
  const clusterId = meta.clusterId;
  const cluster = new Cluster(clusterId, config.nodeId, [node], storageTopicStore(logs));
  for (const t of logs.topics()) cluster.register(clusterTopicFromStorage(cluster, t));
  const registry = new HandlerRegistry(HANDLERS);
  const offsetsTopic = new OffsetsTopic(cluster, logs, config, logger, () => clock.now());
  const groups = createGroupCoordinator({
    config,
    clock,
    logger,
    persist: (records) => offsetsTopic.persist(records),
    topics: clusterTopicView(cluster),
  });
  const replayStart = performance.now();
  const replayed = await offsetsTopic.load((record) => groups.loadRecord(record));
  groups.finishLoading();
  if (replayed > 0) logger.info({ records: replayed, ms: Math.round(performance.now() - replayStart) }, 'group coordinator state loaded from __consumer_offsets');
  const ctx: BrokerContext = { config, cluster, clock, logger, registry, logs, producerIds, groups };

  const connections = new Set<Connection>();
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    connections.add(new Connection(socket, ctx, (c) => connections.delete(c)));
  });

  let closing: Promise<void> | undefined;
  return {
    host: node.host,
    port: node.port,
    bootstrap: `${node.host}:${node.port}`,
    clusterId,
    config,
    cluster,
    logs,
    dataDir: memory ? null : dataDir,
    waitForTopic: (name, o) => waitForTopic(cluster, name, o?.timeoutMs),
    groups,
    waitForGroupState: (groupId, state = 'Stable', o) => waitForGroupState(groups, groupId, state, o),
    close() {
      closing ??= (async () => {
        groups.close();
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const s of sockets) s.destroy();
        await stopped;
        await logs.close();
        logger.info('broker stopped');
      })();
      return closing;
    },
  };
}
