// controller_mutation_rate (KIP-599), as Kafka's ControllerMutationQuotaManager:
// partitions created (CreateTopics, CreatePartitions) and deleted (DeleteTopics)
// count against the client's quota, measured by a token bucket (token-bucket.ts)
// over controller.quota.window.num windows of controller.quota.window.size.seconds.
// The quota entity that applies is found as for the other client quotas
// (client-quota-manager.ts). One for the whole cluster: Kafka's controller
// enforces it, whichever broker a client talks to.
//
// Per request, from its version on (strictSinceVersion) the quota is strict: a
// mutation is refused (THROTTLING_QUOTA_EXCEEDED) while the bucket is below zero,
// and any number is accepted while it is not, so one request may take it far
// below; older versions are permissive: every mutation is accepted and the
// request is throttled once the bucket is below zero. Either way the answer
// carries the time for the bucket to refill to zero, -tokens / quota, and the
// connection is muted for it (Kafka's broker throttles the forwarded request).
import type { Clock } from '../clock.js';
import type { BrokerConfig } from '../config.js';
import type { ClientQuotas } from './client-quotas.js';
import { ClientQuotaManager } from './client-quota-manager.js';
import type { RateWindow } from './sampled-rate.js';
import { TokenBucket } from './token-bucket.js';

const SWEEP_INTERVAL_MS = 60_000;
const INT_MAX = 2 ** 31 - 1;

/** One request's view of its client's quota (Kafka's ControllerMutationQuota). */
export interface MutationQuota {
  /** Counts `permits` mutations; false when a strict quota refuses them. */
  record(permits: number): boolean;
  /** How long the client must wait: the last violation's throttle time, less the time since. */
  throttleTimeMs(): number;
}

/** The windows the bucket's burst is made of. */
export function controllerQuotaWindow(config: BrokerConfig): RateWindow {
  return { samples: config.values['controller.quota.window.num'], windowMs: config.values['controller.quota.window.size.seconds'] * 1000 };
}

const UNBOUNDED: MutationQuota = { record: () => true, throttleTimeMs: () => 0 };

export class ControllerMutationQuotas {
  private readonly entities: ClientQuotaManager;
  /** By metric tags, with a client they were made for (to find their quota again). */
  private readonly buckets = new Map<string, { bucket: TokenBucket; user: string; clientId: string }>();
  private lastSweepMs = 0;

  constructor(
    quotas: ClientQuotas,
    private readonly window: () => RateWindow,
    private readonly clock: Clock,
  ) {
    this.entities = new ClientQuotaManager(quotas, 'controller_mutation_rate', window);
  }

  /** The quota of a request from (user, client id): strict when `strict`, else permissive; unbounded while no such quota is set. */
  forRequest(user: string, clientId: string, strict: boolean): MutationQuota {
    if (!this.entities.enabled) return UNBOUNDED;
    let lastThrottleMs = 0;
    let lastRecordedMs = 0;
    const violated = (tokens: number, bound: number, nowMs: number): void => {
      lastThrottleMs = Math.min(INT_MAX, Math.round((-tokens / bound) * 1000));
      lastRecordedMs = nowMs;
    };
    return {
      record: (permits) => {
        const nowMs = this.clock.now();
        const { bucket, bound, w } = this.bucketOf(user, clientId, nowMs);
        if (strict) {
          const tokens = bucket.measure(nowMs, w, bound);
          if (tokens < 0) {
            violated(tokens, bound, nowMs);
            return false;
          }
          bucket.record(permits, nowMs, w, bound);
          return true;
        }
        bucket.record(permits, nowMs, w, bound);
        const tokens = bucket.measure(nowMs, w, bound);
        if (tokens < 0) violated(tokens, bound, nowMs);
        return true;
      },
      throttleTimeMs: () => Math.max(0, lastThrottleMs - (this.clock.now() - lastRecordedMs)),
    };
  }

  private bucketOf(user: string, clientId: string, nowMs: number): { bucket: TokenBucket; bound: number; w: RateWindow } {
    const w = this.window();
    const { tags, bound } = this.entities.sensorOf(user, clientId);
    if (nowMs - this.lastSweepMs >= SWEEP_INTERVAL_MS) {
      this.lastSweepMs = nowMs;
      // A full bucket is a new one: forgetting it changes nothing.
      for (const [k, b] of this.buckets) {
        if (k !== tags && b.bucket.isFull(nowMs, w, this.entities.sensorOf(b.user, b.clientId).bound)) this.buckets.delete(k);
      }
    }
    let entry = this.buckets.get(tags);
    if (!entry) this.buckets.set(tags, (entry = { bucket: new TokenBucket(nowMs, w, bound), user, clientId }));
    return { bucket: entry.bucket, bound, w };
  }
}
