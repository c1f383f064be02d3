// connection_creation_rate per client IP, as Kafka's ConnectionQuotas enforces
// it: the quota of the ip entity naming the address, else of the default ip
// entity; none set means no limit. Each accepted connection counts one; a
// connection over the rate is not counted and the caller closes it after the
// throttle time (Kafka's delayed close), at most one quota window.
// Entities are matched by the address as written (an IPv4-mapped IPv6 address
// counts as its IPv4 form); a host name set with AlterClientQuotas is not resolved.
import { IP } from './quota-entity.js';
import type { ClientQuotas } from './client-quotas.js';
import { SampledRate, type RateWindow } from './sampled-rate.js';

const KEY = 'connection_creation_rate';

export class ConnectionRateQuota {
  private readonly rates = new Map<string, SampledRate>();

  constructor(
    private readonly quotas: ClientQuotas,
    private readonly window: () => RateWindow,
  ) {}

  private quotaFor(ip: string): number | undefined {
    return this.quotas.value([{ entityType: IP, entityName: ip }], KEY) ?? this.quotas.value([{ entityType: IP, entityName: null }], KEY);
  }

  /** Counts a new connection from `address`: 0 to accept it, else the ms after which to close it unserved. */
  recordConnection(address: string, nowMs: number): number {
    const ip = address.startsWith('::ffff:') ? address.slice(7) : address;
    const bound = this.quotaFor(ip);
    if (bound === undefined) {
      this.rates.delete(ip);
      return 0;
    }
    const w = this.window();
    // A rate idle for all its windows holds nothing: forget such addresses once there are many.
    if (this.rates.size > 1024) for (const [k, old] of this.rates) if (nowMs - old.lastRecordMs >= w.samples * w.windowMs) this.rates.delete(k);
    let r = this.rates.get(ip);
    if (!r) this.rates.set(ip, (r = new SampledRate()));
    const throttleMs = r.recordAndGetThrottleTimeMs(1, nowMs, w, bound);
    if (throttleMs === 0) return 0;
    r.record(-1, nowMs, w);
    return Math.min(throttleMs, w.windowMs);
  }
}
