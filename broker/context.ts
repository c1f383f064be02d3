// What a handler sees: the request's own facts and the broker it runs in.
import type { Logger } from 'pino';
import type { BrokerConfig } from './config.js';
import type { Cluster } from './cluster.js';
import type { Clock } from './clock.js';
import type { HandlerRegistry } from './registry.js';
import type { LogManager } from '../storage/log-manager.js';
import type { ProducerIdManager } from './producer-ids.js';
import type { GroupCoordinator } from './groups/coordinator.js';
import type { RequestBudget } from './request-budget.js';
import type { RateLimitedLog } from './rate-limited-log.js';

export interface BrokerContext {
  readonly config: BrokerConfig;
  readonly cluster: Cluster;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly registry: HandlerRegistry;
  readonly logs: LogManager;
  readonly producerIds: ProducerIdManager;
  /** The classic group coordinator (JoinGroup ... OffsetDelete). */
  readonly groups: GroupCoordinator;
  /** Requests held in memory across all connections (queued.max.requests, queued.max.request.bytes). */
  readonly requestBudget: RequestBudget;
  /** For lines that can repeat per request or per write: once per cause per interval, with a count of the rest. */
  readonly rateLimitedLog: RateLimitedLog;
}

export interface RequestContext {
  readonly broker: BrokerContext;
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  readonly connectionId: number;
  readonly remote: string;
  readonly logger: Logger;
  /**
   * Requests on one connection are processed one after another, as Kafka does.
   * A handler that has done everything that must happen in request order (a
   * produce that has appended and now only waits for acks) calls this to let the
   * next request start.
   */
  releaseOrder(): void;
}
