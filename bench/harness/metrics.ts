// Reads a broker child's Prometheus endpoint (--metrics-port): the storage and
// runtime counters benches report without perf or root (fsyncs, bytes written,
// tail-cache hits and misses, GC pause time, event-loop utilization).
import { get } from 'node:http';
import { parsePromText, total, type PromSample } from '../../test/support/prom-text.js';

/** One scrape, parsed by the tests' Prometheus text parser. */
export class MetricsSample {
  constructor(readonly samples: readonly PromSample[]) {}

  /** Sum of the samples named `name` (whose labels match `where`, if given); 0 when none. */
  sum(name: string, where: Record<string, string> = {}): number {
    return total(this.samples, name, where);
  }
}

export function scrapeMetrics(port: number): Promise<MetricsSample> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(new MetricsSample(parsePromText(body))) : reject(new Error(`GET /metrics: ${res.statusCode}`))));
    });
    req.once('error', reject);
  });
}

/** The broker counters a bench window reports (names from broker/metrics/names.ts). */
export const COUNTERS = {
  fsyncs: 'kafkalite_log_fsyncs_total',
  bytesWritten: 'kafkalite_log_bytes_written_total',
  fileWrites: 'kafkalite_log_writes_total',
  tailCacheHits: 'kafkalite_log_tail_cache_reads_total',
  tailCacheMisses: 'kafkalite_log_disk_reads_total',
  gcSeconds: 'nodejs_gc_duration_seconds_sum',
  gcPauses: 'nodejs_gc_duration_seconds_count',
  eventLoopActive: 'kafkalite_eventloop_active_seconds_total',
  eventLoopIdle: 'kafkalite_eventloop_idle_seconds_total',
} as const;

/** What the broker counted during a window, per second (GC share and ELU as fractions). */
export interface BrokerCounters {
  seconds: number;
  fsyncsPerSec: number;
  bytesWrittenPerSec: number;
  fileWritesPerSec: number;
  tailCacheHitsPerSec: number;
  tailCacheMissesPerSec: number;
  /** GC pause time / wall time. */
  gcShare: number;
  /** GC pauses per second: with bytes written, a GC cost that other load on the machine does not inflate. */
  gcPausesPerSec: number;
  /** Event-loop utilization: active / (active + idle). */
  eventLoopUtilization: number;
}

/** Starts a window on a broker's counters; the returned function scrapes again and gives the rates. null where the broker serves none. */
export async function countersWindow(scrape: (() => Promise<MetricsSample>) | null): Promise<() => Promise<BrokerCounters | null>> {
  const first = scrape ? await scrape().catch(() => null) : null;
  const t0 = performance.now();
  return async () => {
    if (!first || !scrape) return null;
    const last = await scrape().catch(() => null);
    if (!last) return null;
    const seconds = (performance.now() - t0) / 1000;
    const d = (name: string) => last.sum(name) - first.sum(name);
    const active = d(COUNTERS.eventLoopActive);
    const idle = d(COUNTERS.eventLoopIdle);
    return {
      seconds,
      fsyncsPerSec: d(COUNTERS.fsyncs) / seconds,
      bytesWrittenPerSec: d(COUNTERS.bytesWritten) / seconds,
      fileWritesPerSec: d(COUNTERS.fileWrites) / seconds,
      tailCacheHitsPerSec: d(COUNTERS.tailCacheHits) / seconds,
      tailCacheMissesPerSec: d(COUNTERS.tailCacheMisses) / seconds,
      gcShare: d(COUNTERS.gcSeconds) / seconds,
      gcPausesPerSec: d(COUNTERS.gcPauses) / seconds,
      eventLoopUtilization: active + idle > 0 ? active / (active + idle) : NaN,
    };
  };
}
