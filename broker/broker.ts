// startBroker() and startCluster(): the whole broker in one call. For a test run
// they default to ephemeral ports and in-memory storage; the CLI passes a data
// directory.
//
// Several nodes in one process share one Cluster (topic metadata, leaders), one
// LogManager (one data directory: where Kafka keeps a log directory per broker,
// here the partitions live once, and leadership decides which node serves them)
// and one set of group coordinator shards. Each node has its own listeners and
// answers as the node it is: leadership (NOT_LEADER_OR_FOLLOWER) and
// coordination (NOT_COORDINATOR) are checked per node.
import { brokerCleaner, type BrokerCleaner } from './double/cleaner.js';
import { hostname } from 'node:os';
import pino, { type Logger } from 'pino';
import { parseProtocolMap, resolveBrokerConfig, resolveListenerList, topicConfigDefinition, validateTopicConfigs, type BrokerConfig, type Listener } from './config.js';
import { Cluster, endpointFor, type BrokerNode, type TopicInfo } from './cluster.js';
import { systemClock, type Clock } from './clock.js';
import { BrokerQuotas } from './quotas/broker-quotas.js';
import { RequestBudget } from './request-budget.js';
import { RateLimitedLog, rateLimitErrors } from './rate-limited-log.js';
import { HandlerRegistry } from './registry.js';
import { HANDLERS } from './handlers/index.js';
import type { BrokerContext } from './context.js';
import { LogManager } from '../storage/log-manager.js';
import { RealFileSystem } from '../storage/fs-real.js';
import { MemoryFileSystem } from '../storage/fs-memory.js';
import { mkdirDurable, type FileSystem } from '../storage/fs.js';
import { lockDataDir } from '../storage/dir-lock.js';
import { decompress } from '../protocol/compression.js';
import { loadOrCreateMetaProperties } from './meta-properties.js';
import { logConfigResolver } from './log-config.js';
import { ProducerIdManager } from './producer-ids.js';
import { ClusterStore, type StoredTopic } from './cluster-store.js';
import { DynamicBrokerConfigs } from './dynamic-broker-configs.js';
import { ControllerMutationQuotas, controllerQuotaWindow } from './quotas/controller-mutation-quota.js';
import type { LogConfigResolver } from '../storage/log-config.js';
import { waitForGroupState, type WaitForGroupOptions } from './group-service.js';
import { GroupShards } from './group-shards.js';
import { OFFSETS_TOPIC, OffsetsTopic } from './offsets/offsets-topic.js';
import { TransactionCoordinator } from './transactions/coordinator.js';
import { TransactionStateTopic } from './transactions/state-topic.js';
import { txnMarkers } from './transactions/markers.js';
import type { GroupSnapshot } from './groups/classic-group.js';
import { NodeServer, type BindAddress } from './node-server.js';
import { TEST_DOUBLE_CONFIG } from './double/defaults.js';
import { FaultInjector } from './faults/faults.js';
import { RequestLog, DEFAULT_REQUEST_LOG_SIZE } from './faults/request-log.js';
import { testDoubleDispatch } from './faults/dispatch.js';
import { markerRequestFaults } from './faults/marker-requests.js';
import { resetBroker, type ResetResult } from './double/reset.js';
import { committedOffsets, groupAssignment, partitionRecords, type CommittedOffset, type GroupAssignment, type StoredRecord } from './double/readiness.js';
import { DEFAULT_WAIT_MS } from './double/wait.js';
import { waitForTransaction, type WaitForTransactionOptions } from './double/transactions.js';
import type { TxnMetadata, TxnState } from './transactions/state.js';
import { BrokerMetrics } from './metrics/metrics.js';
import { startMetricsServer, type MetricsServer } from './metrics/http.js';
import { resolveListenerSecurity } from './security/listener-security.js';
import { ScramStore } from './security/scram-store.js';
import { AclStore } from './security/acl-store.js';
import { AUTHORIZER_CLASS_NAMES, createAuthorizer } from './security/authorizer.js';
import { credentialFor } from './security/sasl/scram.js';
import type { TestCa } from './security/test-certs.js';
import { startConsole, type RunningConsole } from './console/server.js';

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
  /**
   * Apply the test double's deliberate differences from Kafka's defaults
   * (TEST_DOUBLE_CONFIG: group.initial.rebalance.delay.ms=0). Default true; the CLI passes false.
   */
  testDefaults?: boolean;
  /** Requests kept by `requests` (a ring buffer); default 1000, 0 keeps none (the CLI). */
  requestLogSize?: number;
  /** Port of the Prometheus endpoint (HTTP GET /metrics) on the first listener's host; 0 picks a free one. Overrides `metrics.port`; default none. */
  metricsPort?: number;
  /**
   * Make a throw-away CA and a server certificate it signs (127.0.0.1, ::1, localhost) for
   * every SSL/SASL_SSL listener without a key store of its own; the CA comes back as
   * `tls.ca`. Without `listeners` in `config`, the one listener is `SSL://127.0.0.1:0`.
   */
  tls?: boolean;
  /** SCRAM users to create at start (user -> password), for SCRAM-SHA-256 and SCRAM-SHA-512, 4096 iterations. */
  scramUsers?: Record<string, string>;
  /** Turn on Kafka's StandardAuthorizer (`authorizer.class.name`) unless `config` names the class. */
  authorizer?: boolean;
  /** `super.users`: principals allowed everything (`User:admin`). */
  superUsers?: string[];
  /** Serve the web console on this port (0: any free port); off when not given. */
  consolePort?: number;
  /** The web console's bind address (default 127.0.0.1). */
  consoleHost?: string;
}

export interface ClusterOptions extends Omit<BrokerOptions, 'port'> {
  /** Number of nodes (default 3). Node ids are node.id, node.id + 1, ... unless `nodeIds` names them. */
  nodes?: number;
  nodeIds?: number[];
  /** Per node: the port of its one listener (default: any free port, or consecutive from the `listeners` config's port). */
  ports?: number[];
  /** Per node: its listeners in Kafka's form (`PLAINTEXT://127.0.0.1:9092`, several comma-separated); overrides `ports`. */
  listeners?: string[];
  /** Per node: what Metadata tells clients, in Kafka's form (default: the listeners, with the ports bound). */
  advertisedListeners?: string[];
}

/** What groups a test or tool can watch across the coordinator shards. */
export type ClusterGroups = GroupShards;

interface RunningParts {
  /** `host:port`, ready for a client's bootstrap list. */
  readonly bootstrap: string;
  readonly clusterId: string;
  /** The static settings with the dynamic broker configs applied (follows AlterConfigs). */
  readonly config: BrokerConfig;
  readonly cluster: Cluster;
  readonly logs: LogManager;
  /** The data directory, or null when storage is in memory. */
  readonly dataDir: string | null;
  /** With the `tls` option: the CA clients trust (`tls.ca`, PEM) and `tls.issue(subject)` for client certificates. */
  readonly tls: TestCa | null;
  /** Every listener of every node with its security protocol and bound port. */
  readonly listeners: readonly { nodeId: number; name: string; securityProtocol: string; host: string; port: number }[];
  /** Resolves once the topic exists (created by any client or by auto-creation); rejects after 4 s (DEFAULT_WAIT_MS) by default. */
  waitForTopic(name: string, opts?: { timeoutMs?: number }): Promise<TopicInfo>;
  /** The group coordinators across shards, both protocols (state, rebalanceHistory / consumerRebalanceHistory, onRebalance / onConsumerRebalance). */
  readonly groups: ClusterGroups;
  /** The transaction coordinator (metadata of an id, describe, list). */
  readonly transactions: TransactionCoordinator;
  /**
   * Resolves once the consumer group is Stable (or Empty), optionally with exactly
   * `members` members: what a test awaits before producing to a group it started.
   */
  waitForGroupState(groupId: string, state?: 'Stable' | 'Empty', opts?: WaitForGroupOptions): Promise<GroupSnapshot>;
  /**
   * Resolves with the transactional id's metadata once the coordinator holds it
   * in `state` (CompleteCommit: the commit's markers are written); 'Dead' (undefined) once it holds no such id (expired).
   */
  waitForTransaction(transactionalId: string, state: 'Dead', opts?: WaitForTransactionOptions): Promise<undefined>;
  waitForTransaction(transactionalId: string, state: TxnState, opts?: WaitForTransactionOptions): Promise<TxnMetadata>;
  /** Counters and scrape-time gauges in a prom-client registry of its own; `snapshot()` for plain numbers. */
  readonly metrics: BrokerMetrics;
  /** Where GET /metrics is served (`metricsPort` or `metrics.port`), or null when it is not. */
  readonly metricsEndpoint: { readonly host: string; readonly port: number; readonly url: string } | null;
  /** Injected faults: failNext, delay, disconnectOn, hold, stallSync. */
  readonly faults: FaultInjector;
  /** Every request and its answer, decoded (the last `requestLogSize`). */
  readonly requests: RequestLog;
  /**
   * Back to an empty broker in milliseconds: every topic, group, committed offset
   * and producer state gone, faults removed, request log cleared; ports and config
   * unchanged. Reports the faults that never fired.
   */
  reset(): Promise<ResetResult>;
  /** Who holds which partitions in the group now; undefined when there is no such group. */
  assignment(groupId: string): GroupAssignment | undefined;
  /** topic -> partition -> the group's committed offset and metadata. */
  committedOffsets(groupId: string): Promise<Record<string, Record<number, CommittedOffset>>>;
  /** The log cleaner: run a round on a partition now, or await one (cleanup.policy=compact topics). */
  readonly cleaner: BrokerCleaner;
  /** A partition's records, decoded, from `from` (default the log start), at most `max` (default 1000). */
  records(topic: string, partition: number, opts?: { from?: number; max?: number }): Promise<StoredRecord[]>;
  /** The web console (`consolePort`), or null when it is off. */
  readonly webConsole: RunningConsole | null;
  close(): Promise<void>;
}

export interface RunningBroker extends RunningParts {
  /** Host and port clients should use (the advertised listener). */
  readonly host: string;
  readonly port: number;
}

export interface RunningCluster extends RunningParts {
  /** Every node (live or stopped), by node id. */
  readonly nodes: readonly BrokerNode[];
  /** Makes `nodeId` the partition's leader (its epoch bumps); waiting fetches and produces on the old leader answer NOT_LEADER_OR_FOLLOWER. */
  moveLeader(topic: string, partition: number, nodeId: number): Promise<void>;
  /** The node's listeners close and refuse connections, its connections close, and its partitions and coordinator shards move to live nodes. */
  stopNode(nodeId: number): Promise<void>;
  /** The node listens again on the same ports; partitions left without a leader move to it. */
  startNode(nodeId: number): Promise<void>;
}

function waitForTopic(cluster: Cluster, name: string, timeoutMs = DEFAULT_WAIT_MS): Promise<TopicInfo> {
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

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** One node to start: where it binds, and what it advertises (null: its bind addresses). */
interface NodeSpec {
  nodeId: number;
  binds: BindAddress[];
  advertised: readonly { name: string; host: string; port: number }[] | null;
}

/** Per-node listener text, checked as `listeners` is (each name mapped to a security protocol). */
function nodeListeners(config: BrokerConfig, text: string, what: string): { name: string; host: string; port: number }[] {
  let list: Listener[];
  try {
    list = resolveListenerList(what, text, parseProtocolMap(config.values['listener.security.protocol.map']));
  } catch (err) {
    throw new Error(`${what}: ${(err as Error).message}`, { cause: err });
  }
  if (list.length === 0) throw new Error(`${what}: no listener in "${text}"`);
  return list.map((l) => ({ name: l.name, host: l.host, port: l.port }));
}

function advertisedNode(spec: NodeSpec): BrokerNode {
  const endpoints = spec.binds.map((b) => {
    const a = spec.advertised?.find((x) => x.name === b.name);
    return { listener: b.name, host: a ? a.host : advertisableHost(b.host), port: a && a.port !== 0 ? a.port : b.port };
  });
  return { nodeId: spec.nodeId, host: endpoints[0].host, port: endpoints[0].port, rack: null, endpoints };
}

interface Launch {
  config: BrokerConfig;
  specs: NodeSpec[];
  opts: BrokerOptions;
}

/**
 * Stored topic overrides the config table no longer lists (rows removed because
 * nothing enforced them) or no longer accepts (a value kafkalite cannot honour,
 * such as local.retention.ms=1000) are dropped with a warning, so an older data
 * directory still opens.
 */
function withoutUnknownConfigs(topics: StoredTopic[], logger: Logger): StoredTopic[] {
  return topics.map((t) => {
    const unknown = Object.entries(t.configs)
      .filter(([k, v]) => topicConfigDefinition(k) === undefined || validateTopicConfigs([[k, v]]) !== null)
      .map(([k]) => k);
    if (unknown.length === 0) return t;
    logger.warn({ topic: t.name, configs: unknown }, 'ignoring stored topic configs kafkalite does not enforce');
    return { ...t, configs: Object.fromEntries(Object.entries(t.configs).filter(([k]) => !unknown.includes(k))) };
  });
}

async function launch({ config, specs, opts }: Launch): Promise<RunningCluster> {
  const logger = opts.logger ?? pino({ level: 'silent' });
  const clock = opts.clock ?? systemClock;
  const explicitDir = opts.dataDir !== undefined || config.explicit.has('log.dirs') || config.explicit.has('log.dir');
  const memory = opts.memory ?? !explicitDir;
  const fs = opts.fs ?? (memory ? new MemoryFileSystem() : new RealFileSystem());
  const dataDir = memory ? '/kafkalite-memory' : config.logDir;
  // Topic defaults follow the dynamic broker configs, which are read before any log opens.
  let dynamicConfigs: DynamicBrokerConfigs | undefined;
  // A partition's log config follows its leader's config when some node has dynamic configs of its own.
  const resolveLogConfig: LogConfigResolver = (overrides, leaderId) => {
    const effective = dynamicConfigs === undefined ? config : leaderId === undefined || leaderId < 0 ? dynamicConfigs.withoutNode : dynamicConfigs.forNode(leaderId);
    return logConfigResolver(effective)(overrides);
  };
  const protocols = parseProtocolMap(config.values['listener.security.protocol.map']);
  const listenerNames = [...new Set(specs.flatMap((s) => s.binds.map((b) => b.name)))];
  // Loaded only when asked for: the X.509 library is not needed by a broker with real key stores.
  const testCa = opts.tls ? (await import('./security/test-certs.js')).makeTestCa() : null;
  const testCert = testCa?.issue([['O', 'kafkalite'], ['CN', 'localhost']], { hosts: ['127.0.0.1', '::1', 'localhost'] });
  const security = await resolveListenerSecurity(
    config,
    listenerNames.map((name) => ({ name, host: '', port: 0, securityProtocol: protocols.get(name)! })),
    testCa && testCert ? { ...testCert, ca: testCa.ca } : undefined,
  );

  const rateLimitedLog = new RateLimitedLog(10_000, () => clock.now());
  const registry = new HandlerRegistry(HANDLERS);
  // Before the coordinators: the transaction coordinator's marker requests pass the faults too.
  const faults = new FaultInjector(logger, (key) => registry.get(key) !== undefined, fs instanceof MemoryFileSystem ? fs : undefined);

  // One broker per data directory: the lock comes before anything reads or writes it.
  await mkdirDurable(fs, dataDir);
  const dirLock = await lockDataDir(fs, dataDir, clock.now());
  let openedLogs: LogManager | undefined;
  const servers: NodeServer[] = [];
  const metrics = new BrokerMetrics();
  const metricsPort = opts.metricsPort ?? config.values['metrics.port'];
  let metricsServer: MetricsServer | undefined;
  let webConsole: RunningConsole | null = null;
  let started;
  try {
    started = await openCluster();
    if (metricsPort !== null) metricsServer = await startMetricsServer(metrics, specs[0].binds[0].host, metricsPort, logger);
    if (opts.consolePort !== undefined) webConsole = await startConsole({ ...consoleSources(started), logger, metrics, port: opts.consolePort, ...(opts.consoleHost !== undefined ? { host: opts.consoleHost } : {}) });
  } catch (err) {
    // A failed start leaves nothing behind: closing the logs releases the lock too.
    started?.groups.close();
    metrics.close();
    await Promise.all([...servers.map((s) => s.stop()), metricsServer?.close()]);
    if (openedLogs) await openedLogs.close().catch(() => undefined);
    else await dirLock.release().catch(() => undefined);
    throw err;
  }
  const { meta, cluster, groups, transactions, producerIds, nodes, logs, scram, acls, authorizer, dynamic } = started;

  /**
   * What the web console reads, and where its produce form connects: the first
   * live node's PLAINTEXT listener (the form has no credentials); null without one.
   */
  function consoleSources(o: Awaited<ReturnType<typeof openCluster>>) {
    const plaintext = [...security.values()].find((ls) => ls.protocol === 'PLAINTEXT')?.name;
    return {
      sources: { clusterId: o.meta.clusterId, cluster: o.cluster, logs: o.logs, groups: o.groups },
      bootstrap: () => {
        if (plaintext === undefined) return null;
        const live = o.cluster.nodes.filter((n) => o.cluster.isLive(n.nodeId));
        for (const n of [...live, ...o.nodes]) {
          const e = endpointFor(n, plaintext);
          if (e) return e;
        }
        return null;
      },
    };
  }

  async function openCluster() {
    const meta = await loadOrCreateMetaProperties(fs, dataDir, { clusterId: config.clusterId, nodeId: config.nodeId });
    dynamicConfigs = await DynamicBrokerConfigs.open(fs, dataDir, config);
    const store = new ClusterStore(fs, dataDir);
    const metadata = await store.loadMetadata();
    const stored = withoutUnknownConfigs(metadata.topics, logger);
    const opened = await LogManager.open({
      dataDir,
      fs,
      logger: rateLimitErrors(logger, rateLimitedLog),
      clock,
      dirLock,
      topics: stored.map((t) => ({ topicId: t.topicId, topic: t.name, partitions: t.partitions, config: resolveLogConfig(t.configs) })),
      producerIdExpirationMs: config.values['producer.id.expiration.ms'],
      producerIdExpirationCheckIntervalMs: config.values['producer.id.expiration.check.interval.ms'],
      retentionCheckIntervalMs: config.values['log.retention.check.interval.ms'],
      checkpointIntervalMs: config.values['log.flush.offset.checkpoint.interval.ms'],
      maxOpenFiles: config.values['log.max.open.files'] ?? undefined,
      cleaner: {
        enable: config.values['log.cleaner.enable'],
        threads: config.values['log.cleaner.threads'],
        dedupeBufferSize: config.values['log.cleaner.dedupe.buffer.size'],
        loadFactor: config.values['log.cleaner.io.buffer.load.factor'],
        ioMaxBytesPerSecond: config.values['log.cleaner.io.max.bytes.per.second'],
        backoffMs: config.values['log.cleaner.backoff.ms'],
      },
      decompress: (codec, data) => decompress(codec as never, data),
    });
    openedLogs = opened;
    const producerIds = await ProducerIdManager.open(fs, dataDir);
    const scram = await ScramStore.open(fs, dataDir);
    if (opts.scramUsers) {
      await scram.apply(Object.entries(opts.scramUsers).flatMap(([user, password]) =>
        (['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const).map((mechanism) => ({ user, mechanism, credential: credentialFor(mechanism, password) }))));
    }
    const acls = await AclStore.open(fs, dataDir);
    const authorizer = createAuthorizer(config, acls);
    for (const s of specs) servers.push(new NodeServer(s.nodeId, s.binds, logger, security));
    for (const s of servers) await s.listen();
    const nodes = specs.map(advertisedNode);
    // Every node's effective config resolves now: a stored set that no longer validates refuses the start.
    for (const n of nodes) dynamicConfigs.forNode(n.nodeId);
    const dynamic = dynamicConfigs;
    const cluster = new Cluster(meta.clusterId, nodes, { store, logs: opened, logConfig: resolveLogConfig, logConfigsByLeader: () => dynamic.hasNodeSets });
    cluster.load(stored, metadata.groupConfigs, metadata.clientQuotas);
    // The logs opened with the cluster-wide defaults; nodes' own sets apply once leaders are known.
    if (dynamic.hasNodeSets) cluster.reapplyLogConfigs();
    const offsetsTopic = new OffsetsTopic(cluster, opened, config, () => clock.now());
    const groups = new GroupShards({ cluster, offsetsTopic, config, clock, logger });
    metrics.attach({ cluster, logs: opened, groups });
    await groups.start();
    const transactions = new TransactionCoordinator({
      cluster,
      stateTopic: new TransactionStateTopic(cluster, opened, config, () => clock.now()),
      producerIds,
      markers: txnMarkers({
        logs: opened,
        clock,
        logger,
        leaderOf: (topic, partition) => cluster.topic(topic)?.partitions[partition]?.leaderId ?? -1,
        onMarker: (topic, partition, marker) => {
          if (topic === OFFSETS_TOPIC) groups.onTxnMarker(partition, marker.producerId, marker.commit);
        },
        beforeRequest: markerRequestFaults(faults, clock, (id) => cluster.topicById(id)?.name),
      }),
      config,
      clock,
      logger,
    });
    await transactions.start();
    return { meta, cluster, groups, transactions, producerIds, nodes, logs: opened, scram, acls, authorizer, dynamic: dynamicConfigs };
  }
  const clusterId = meta.clusterId;
  const requests = new RequestLog(opts.requestLogSize ?? DEFAULT_REQUEST_LOG_SIZE);
  const dispatch = testDoubleDispatch(faults, requests);
  const requestBudget = new RequestBudget(config.values['queued.max.requests'], config.values['queued.max.request.bytes']);
  const controllerMutation = new ControllerMutationQuotas(cluster.clientQuotas, () => controllerQuotaWindow(dynamic.current), clock);
  for (const [i, server] of servers.entries()) {
    const node = nodes[i];
    // Each node enforces its own quotas, as each Kafka broker does, but the controller's.
    const quotas = new BrokerQuotas(cluster.clientQuotas, () => dynamic.current, clock, controllerMutation);
    // config is a getter: it follows the node's dynamic broker configs.
    server.serve(new Map(node.endpoints.map((e) => [e.listener, { node, listener: e.listener, listenerSecurity: security.get(e.listener)!, scram, acls, authorizer, get config() { return dynamic.forNode(node.nodeId); }, cluster, clock, logger, registry, logs, producerIds, groups, transactions, dispatch, requestBudget, rateLimitedLog, metrics, dynamicConfigs: dynamic, quotas } satisfies BrokerContext])));
  }

  const serverOf = (nodeId: number): NodeServer => {
    const s = servers.find((x) => x.nodeId === nodeId);
    if (!s) throw new Error(`no node ${nodeId} in this cluster`);
    return s;
  };
  let closing: Promise<void> | undefined;
  return {
    get bootstrap() {
      return cluster.nodes.map((n) => hostPort(n.host, n.port)).join(',');
    },
    clusterId,
    get config() {
      return dynamic.current;
    },
    cluster,
    logs,
    dataDir: memory ? null : dataDir,
    tls: testCa,
    listeners: specs.flatMap((sp) => sp.binds.map((b) => ({ nodeId: sp.nodeId, name: b.name, securityProtocol: protocols.get(b.name)!, host: b.host, port: b.port }))),
    nodes,
    waitForTopic: (name, o) => waitForTopic(cluster, name, o?.timeoutMs),
    groups,
    transactions,
    waitForGroupState: (groupId, state = 'Stable', o) => waitForGroupState(groups, groupId, state, o),
    waitForTransaction: ((id: string, state: TxnState, o?: WaitForTransactionOptions) => waitForTransaction(transactions, id, state, o)) as RunningParts['waitForTransaction'],
    async moveLeader(topic, partition, nodeId) {
      await cluster.moveLeader(topic, partition, nodeId);
      logger.info({ topic, partition, node: nodeId }, 'leader moved');
    },
    async stopNode(nodeId) {
      await serverOf(nodeId).stop();
      await cluster.stopNode(nodeId);
    },
    async startNode(nodeId) {
      await serverOf(nodeId).listen();
      await cluster.startNode(nodeId);
      logger.info({ node: nodeId }, 'node started');
    },
    metrics,
    metricsEndpoint: metricsServer ? { host: metricsServer.host, port: metricsServer.port, url: metricsServer.url } : null,
    faults,
    requests,
    reset: () => resetBroker({ cluster, producerIds, faults, requests, logger }),
    assignment: (groupId) => groupAssignment(groups, groupId),
    committedOffsets: (groupId) => committedOffsets(groups, groupId),
    records: (topic, partition, o) => partitionRecords(logs, topic, partition, o),
    cleaner: brokerCleaner(logs),
    webConsole,
    close() {
      closing ??= (async () => {
        await webConsole?.close();
        groups.close();
        transactions.close();
        metrics.close();
        await Promise.all([...servers.map((s) => s.stop()), metricsServer?.close()]);
        await logs.close();
        logger.info('broker stopped');
      })();
      return closing;
    },
  };
}

/** The broker's listeners: the first one's host and port as the options say. */
function singleNodeSpec(config: BrokerConfig, overrides: Record<string, string>, opts: BrokerOptions): NodeSpec {
  const explicitListener = overrides['listeners'] !== undefined;
  const binds = config.listeners.map((l: Listener, i) => ({
    name: l.name,
    host: i === 0 ? (opts.host ?? l.host ?? '127.0.0.1') : l.host,
    port: i === 0 ? (opts.port ?? (explicitListener ? l.port : 0)) : l.port,
  }));
  // Advertise what was configured, with the bound port where the config said 0 or the options overrode it.
  const advertised = overrides['advertised.listeners'] === undefined ? null : config.advertisedListeners;
  return { nodeId: config.nodeId, binds, advertised };
}

/** The config overrides a start resolves: the test double's defaults (unless turned off), then the caller's. */
function resolveStartConfig(opts: BrokerOptions): { overrides: Record<string, string>; config: BrokerConfig } {
  const overrides: Record<string, string> = { ...(opts.testDefaults === false ? {} : TEST_DOUBLE_CONFIG), ...opts.config };
  if (opts.tls && opts.config?.['listeners'] === undefined) {
    overrides['listeners'] = 'SSL://127.0.0.1:0';
    overrides['inter.broker.listener.name'] ??= 'SSL';
  }
  if (opts.dataDir !== undefined) overrides['log.dirs'] = opts.dataDir;
  if (opts.authorizer) overrides['authorizer.class.name'] ??= AUTHORIZER_CLASS_NAMES[0];
  if (opts.superUsers !== undefined) overrides['super.users'] = opts.superUsers.join(';');
  return { overrides, config: resolveBrokerConfig(overrides, { logger: opts.logger ?? pino({ level: 'silent' }) }) };
}

export async function startBroker(opts: BrokerOptions = {}): Promise<RunningBroker> {
  const { overrides, config } = resolveStartConfig(opts);
  const launched = await launch({ config, specs: [singleNodeSpec(config, overrides, opts)], opts });
  const { nodes, moveLeader: _m, stopNode: _s, startNode: _r, ...running } = launched;
  const node = nodes[0];
  return {
    ...running,
    // Spreading copied the getter's value; the config follows dynamic broker configs.
    get config() {
      return launched.config;
    },
    host: node.host,
    port: node.port,
    bootstrap: hostPort(node.host, node.port),
  };
}

/**
 * Several nodes in one process (default 3), sharing one cluster and one storage.
 * New partitions are led round-robin over the live nodes (cluster.ts).
 */
export async function startCluster(opts: ClusterOptions = {}): Promise<RunningCluster> {
  const { overrides, config } = resolveStartConfig(opts);
  const count = opts.nodes ?? opts.nodeIds?.length ?? opts.listeners?.length ?? 3;
  if (!Number.isInteger(count) || count < 1) throw new Error(`a cluster needs at least one node, not ${count}`);
  const ids = opts.nodeIds ?? Array.from({ length: count }, (_, i) => config.nodeId + i);
  if (ids.length !== count || new Set(ids).size !== count || ids.some((id) => !Number.isInteger(id) || id < 0)) {
    throw new Error(`node ids must be ${count} distinct non-negative integers: ${ids.join(',')}`);
  }
  const first = config.listeners[0];
  const explicitListener = overrides['listeners'] !== undefined;
  const specs = ids.map((nodeId, i): NodeSpec => {
    const text = opts.listeners?.[i];
    const binds: BindAddress[] =
      text !== undefined
        ? nodeListeners(config, text, `listeners of node ${nodeId}`)
        : [{ name: first.name, host: opts.host ?? first.host, port: opts.ports?.[i] ?? (explicitListener && first.port !== 0 ? first.port + i : 0) }];
    const adv = opts.advertisedListeners?.[i];
    return { nodeId, binds, advertised: adv === undefined ? null : nodeListeners(config, adv, `advertised listeners of node ${nodeId}`) };
  });
  return launch({ config, specs, opts });
}
