// One request between its frame being read and its answer written: the context
// its handler sees, its place in the connection's order, and its answer once
// built. One object per request (no closures, no promise per request), because
// this is the fixed cost every request pays.
import type { Logger } from 'pino';
import type { BrokerContext, RequestContext } from './context.js';
import type { BrokerNode } from './cluster.js';
import type { Handler } from './registry.js';
import type { ApiMeter } from './metrics/meters.js';
import type { ConnectionSecurity } from './security/connection-security.js';

/** A response ready to leave in its turn, and what its request's metrics need. */
export interface Answer {
  /** False until the answer is built (or known to be none). */
  done: boolean;
  /** The frame, size prefix included; null: nothing to send. */
  parts: Buffer[] | null;
  /** null for an answer outside the served versions (ApiVersions fallback). */
  meter: ApiMeter | null;
  readonly version: number;
  readonly requestBytes: number;
  /** performance.now() when the whole request frame had been read. */
  readonly receivedAt: number;
}

/** What a request needs from its connection. */
export interface RequestOwner {
  readonly id: number;
  readonly remote: string;
  readonly log: Logger;
  readonly security: ConnectionSecurity;
  throttle(ms: number): void;
  /** The request let the next one start (RequestContext.releaseOrder). */
  orderReleased(req: InFlight): void;
  /** The request stops counting against the broker-wide budget. */
  leaveBudget(size: number): void;
}

export class InFlight implements RequestContext, Answer {
  readonly node: BrokerNode;
  readonly connectionId: number;
  readonly remote: string;
  readonly logger: Logger;
  readonly security: ConnectionSecurity;
  done = false;
  parts: Buffer[] | null = null;
  meter: ApiMeter | null = null;
  /** Still counted against the broker-wide budget (it leaves once: when parked, or else when answered). */
  budgeted = true;
  /** Still holds the connection's order (the next request waits). */
  holdsOrder = true;
  /** The pooled buffer the request was decoded from, given back once answered (broker/frame-pool.ts). */
  frameLoan: Buffer | null = null;

  constructor(
    private readonly owner: RequestOwner,
    readonly broker: BrokerContext,
    readonly handler: Handler,
    readonly apiKey: number,
    readonly apiVersion: number,
    readonly correlationId: number,
    readonly clientId: string | null,
    readonly request: unknown,
    readonly requestSize: number,
    readonly receivedAt: number,
    /** Not null: answer ILLEGAL_SASL_STATE instead of dispatching, then close for this reason. */
    readonly illegalSaslState: string | null,
  ) {
    this.node = broker.node;
    this.connectionId = owner.id;
    this.remote = owner.remote;
    this.logger = owner.log;
    this.security = owner.security;
  }

  get version(): number {
    return this.apiVersion;
  }

  get requestBytes(): number {
    return this.requestSize;
  }

  throttle(ms: number): void {
    this.owner.throttle(ms);
  }

  releaseOrder(): void {
    if (!this.holdsOrder) return;
    this.holdsOrder = false;
    this.owner.orderReleased(this);
  }

  parked(): void {
    if (this.leaveBudgetOnce()) this.owner.leaveBudget(this.requestSize);
  }

  /** True the first time: the caller returns the request's share of the budget. */
  leaveBudgetOnce(): boolean {
    const was = this.budgeted;
    this.budgeted = false;
    return was;
  }
}
