// What a handler sees: the request's own facts, the node that received it and
// the broker (cluster, storage, coordinators) it runs in.
import type { Logger } from 'pino';
import type { BrokerConfig } from './config.js';
import type { DynamicBrokerConfigs } from './dynamic-broker-configs.js';
import type { BrokerNode, Cluster } from './cluster.js';
import type { Clock } from './clock.js';
import type { HandlerRegistry } from './registry.js';
import type { LogManager } from '../storage/log-manager.js';
import type { ProducerIdManager } from './producer-ids.js';
import type { GroupShards } from './group-shards.js';
import type { TransactionCoordinator } from './transactions/coordinator.js';
import type { Dispatch } from './faults/dispatch.js';
import type { RequestBudget } from './request-budget.js';
import type { RateLimitedLog } from './rate-limited-log.js';
import type { BrokerMetrics } from './metrics/metrics.js';
import type { ListenerSecurity } from './security/listener-security.js';
import type { ScramStore } from './security/scram-store.js';
import type { ConnectionSecurity } from './security/connection-security.js';
import type { BrokerQuotas } from './quotas/broker-quotas.js';
import type { AclStore } from './security/acl-store.js';
import type { Authorizer } from './security/authorizer.js';

export interface BrokerContext {
  /** The node this context serves (each node of a cluster has its own context over the shared parts). */
  readonly node: BrokerNode;
  /** The listener the connection came in on (its endpoints are what clients are told). */
  readonly listener: string;
  /** What that listener asks of connections (TLS, SASL). */
  readonly listenerSecurity: ListenerSecurity;
  /** SCRAM credentials (SaslAuthenticate, AlterUserScramCredentials). */
  readonly scram: ScramStore;
  /** The cluster's ACLs (CreateAcls, DeleteAcls, DescribeAcls). */
  readonly acls: AclStore;
  /** Decides every handler's checks (broker/security/authorize.ts); null without `authorizer.class.name`. */
  readonly authorizer: Authorizer | null;
  /** The static settings with the dynamic broker configs applied (changes with them). */
  readonly config: BrokerConfig;
  /** Dynamic broker configs (AlterConfigs on BROKER resources). */
  readonly dynamicConfigs: DynamicBrokerConfigs;
  readonly cluster: Cluster;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly registry: HandlerRegistry;
  readonly logs: LogManager;
  readonly producerIds: ProducerIdManager;
  /** The classic group coordinators, one per __consumer_offsets partition (JoinGroup ... OffsetDelete). */
  readonly groups: GroupShards;
  /** The transaction coordinator, one shard per __transaction_state partition. */
  readonly transactions: TransactionCoordinator;
  /** Wraps every handler call (the test double's request log and faults); without it handlers are called directly. */
  readonly dispatch?: Dispatch;
  /** Requests held in memory across all connections (queued.max.requests, queued.max.request.bytes). */
  readonly requestBudget: RequestBudget;
  /** For lines that can repeat per request or per write: once per cause per interval, with a count of the rest. */
  readonly rateLimitedLog: RateLimitedLog;
  /** Counted on the way: requests per API, bytes and messages per topic, connections. */
  readonly metrics: BrokerMetrics;
  /** This node's client quota enforcement (produce, fetch, request time, connections per IP). */
  readonly quotas: BrokerQuotas;
}

export interface RequestContext {
  readonly broker: BrokerContext;
  /** The node that received the request (its leadership and coordination decide the answer). */
  readonly node: BrokerNode;
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  readonly connectionId: number;
  readonly remote: string;
  readonly logger: Logger;
  /** The connection's principal and SASL state. */
  readonly security: ConnectionSecurity;
  /** The request's size in bytes (the frame after its size prefix), as Kafka's produce quota counts it. */
  readonly requestSize: number;
  /**
   * Throttles the client for a quota violation (KIP-219): the answer leaves at
   * once, then nothing more is read from the connection for `ms`.
   */
  throttle(ms: number): void;
  /**
   * Requests on one connection are processed one after another, as Kafka does.
   * A handler that has done everything that must happen in request order (a
   * produce that has appended and now only waits for acks) calls this to let the
   * next request start.
   */
  releaseOrder(): void;
  /**
   * The handler has taken the request up and its answer now waits on other
   * clients or on time (a JoinGroup or SyncGroup waiting for the rest of the
   * group, a Fetch waiting for data), as a request in Kafka's purgatory: it stops
   * counting against queued.max.requests and queued.max.request.bytes, which
   * bound requests read and not yet taken up. Otherwise a broker-wide budget's
   * worth of parked requests would keep every connection from being read,
   * including the requests they wait for. The connection still counts it
   * (its own pipeline bound) and answers keep their order. Idempotent.
   */
  parked(): void;
}
