// One client quota's enforcement (producer_byte_rate, consumer_byte_rate or
// request_percentage), as Kafka's ClientQuotaManager with its default callback:
//
// - Which quota applies to a (user, client-id) is the most specific entity with
//   this key set, in Kafka's order: user+client-id, user+default client-id, user,
//   default user+client-id, default user+default client-id, default user,
//   client-id, default client-id.
// - Usage is counted per "metric tags", as Kafka's quotaMetricTags picks them:
//   with quotas at one level only (user, client-id, or user+client-id) by that
//   level's names; with several levels, by the names of the level that applies,
//   so clients sharing a user quota share one rate.
// - A value is recorded first, then the rate (sampled-rate.ts) checked against
//   the bound; over it, the throttle time is how long the client must stay quiet
//   for the rate to fall back to the bound: (rate - bound) / bound * window.
//
// Differences from Kafka: quotas count as enabled while some entity sets this key
// (Kafka keeps counting until restart once any was set), and a rate idle for an
// hour is dropped as Kafka expires its sensors.
import { CLIENT_ID, USER, type EntityPart } from './quota-entity.js';
import type { ClientQuotas } from './client-quotas.js';
import { SampledRate, type RateWindow } from './sampled-rate.js';

/** Kafka's default for a quota that is not set: Long.MAX_VALUE. */
const UNLIMITED = 2 ** 63;
const IDLE_EXPIRY_MS = 3_600_000;
const SWEEP_INTERVAL_MS = 60_000;

/** An entity of user and/or client-id parts: undefined leaves the part out, null is the default entity. */
function entity(user: string | null | undefined, clientId: string | null | undefined): EntityPart[] {
  const parts: EntityPart[] = [];
  if (user !== undefined) parts.push({ entityType: USER, entityName: user });
  if (clientId !== undefined) parts.push({ entityType: CLIENT_ID, entityName: clientId });
  return parts;
}

/** The user name Kafka's quotas use: the principal's name without its type (`User:alice` -> `alice`). */
export function quotaUserOf(principal: string): string {
  return principal.slice(principal.indexOf(':') + 1);
}

export class ClientQuotaManager {
  private readonly rates = new Map<string, SampledRate>();
  private lastSweepMs = 0;
  private levelsOf = -1;
  private levels = { user: false, clientId: false, userClientId: false };

  constructor(
    private readonly quotas: ClientQuotas,
    readonly key: string,
    private readonly window: () => RateWindow,
    /** The longest throttle this quota gives (request_percentage: one window); none for the byte rates. */
    private readonly maxThrottleMs: () => number = () => Infinity,
  ) {}

  private has(user: string | null | undefined, clientId: string | null | undefined): boolean {
    return this.quotas.value(entity(user, clientId), this.key) !== undefined;
  }

  /** Which entity shapes set this key (Kafka's QuotaTypes), recomputed when the quotas change. */
  private enabledLevels() {
    if (this.levelsOf !== this.quotas.generation) {
      const levels = { user: false, clientId: false, userClientId: false };
      for (const e of this.quotas.entities()) {
        if (this.quotas.value(e, this.key) === undefined) continue;
        const hasUser = e.some((p) => p.entityType === USER);
        const hasClient = e.some((p) => p.entityType === CLIENT_ID);
        if (hasUser && hasClient) levels.userClientId = true;
        else if (hasUser) levels.user = true;
        else if (hasClient) levels.clientId = true;
      }
      this.levels = levels;
      this.levelsOf = this.quotas.generation;
    }
    return this.levels;
  }

  get enabled(): boolean {
    const l = this.enabledLevels();
    return l.user || l.clientId || l.userClientId;
  }

  /** Kafka's quotaMetricTags: the (user, client-id) the usage is counted under ('' = not part of it). */
  private tags(user: string, clientId: string): [string, string] {
    const l = this.enabledLevels();
    const count = Number(l.user) + Number(l.clientId) + Number(l.userClientId);
    if (count <= 1) {
      if (l.user) return [user, ''];
      if (l.userClientId) return [user, clientId];
      return ['', clientId];
    }
    if (this.has(user, clientId) || this.has(user, null)) return [user, clientId];
    if (this.has(user, undefined)) return [user, ''];
    if (this.has(null, clientId) || this.has(null, null)) return [user, clientId];
    if (this.has(null, undefined)) return [user, ''];
    return ['', clientId];
  }

  /** Kafka's quotaLimit for metric tags: the most specific quota set, else unlimited. */
  private limit(user: string, clientId: string): number {
    const candidates: [string | null | undefined, string | null | undefined][] =
      user !== '' && clientId !== ''
        ? [[user, clientId], [user, null], [null, clientId], [null, null]]
        : user !== ''
          ? [[user, undefined], [null, undefined]]
          : clientId !== ''
            ? [[undefined, clientId], [undefined, null]]
            : [];
    for (const [u, c] of candidates) {
      const v = this.quotas.value(entity(u, c), this.key);
      if (v !== undefined) return v;
    }
    return UNLIMITED;
  }

  /** The quota that applies to this client (unlimited when none does). */
  quotaFor(user: string, clientId: string): number {
    const [u, c] = this.tags(user, clientId);
    return this.limit(u, c);
  }

  /** The usage the client shares with others under Kafka's metric tags (one string), and its quota. */
  sensorOf(user: string, clientId: string): { tags: string; bound: number } {
    const [u, c] = this.tags(user, clientId);
    return { tags: `${u}\u0000${c}`, bound: this.limit(u, c) };
  }

  private rate(u: string, c: string, nowMs: number): SampledRate {
    if (nowMs - this.lastSweepMs >= SWEEP_INTERVAL_MS) {
      this.lastSweepMs = nowMs;
      for (const [k, r] of this.rates) if (nowMs - r.lastRecordMs >= IDLE_EXPIRY_MS) this.rates.delete(k);
    }
    const k = `${u}\u0000${c}`;
    let r = this.rates.get(k);
    if (!r) this.rates.set(k, (r = new SampledRate()));
    return r;
  }

  /**
   * Records `value` for the client and returns how long it must be throttled (0 when
   * within its quota, or when no quota of this kind is set anywhere).
   */
  recordAndGetThrottleTimeMs(user: string, clientId: string, value: number, nowMs: number): number {
    if (!this.enabled) return 0;
    const [u, c] = this.tags(user, clientId);
    const throttleMs = this.rate(u, c, nowMs).recordAndGetThrottleTimeMs(value, nowMs, this.window(), this.limit(u, c));
    return Math.min(throttleMs, this.maxThrottleMs());
  }

  /** Takes back a value recorded for a request that is answered without it (a throttled fetch's records). */
  unrecord(user: string, clientId: string, value: number, nowMs: number): void {
    if (!this.enabled) return;
    const [u, c] = this.tags(user, clientId);
    this.rate(u, c, nowMs).record(-value, nowMs, this.window());
  }

  /** The most one request may carry without being throttled for sure (Kafka's getMaxValueInQuotaWindow). */
  maxValueInQuotaWindow(user: string, clientId: string): number {
    if (!this.enabled) return Number.MAX_VALUE;
    const w = this.window();
    return this.quotaFor(user, clientId) * (w.samples - 1) * (w.windowMs / 1000);
  }
}
