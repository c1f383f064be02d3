// Log lines that can repeat per request or per write (a full disk, a flood of bad
// connections) are let through once per cause per interval; the next line let
// through for that cause says how many were suppressed in between. One per
// broker, shared by everything that logs per failure.
import type { Logger } from 'pino';

type Level = 'error' | 'warn' | 'info' | 'debug';

interface Window {
  until: number;
  suppressed: number;
}

/** Keep at most this many causes; expired ones are dropped first. */
const MAX_CAUSES = 1000;

export class RateLimitedLog {
  private readonly causes = new Map<string, Window>();

  constructor(
    readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Logs `msg` through `logger` unless `cause` was logged within the interval; returns whether it logged. */
  log(logger: Logger, level: Level, cause: string, obj: Record<string, unknown>, msg: string): boolean {
    const t = this.now();
    const w = this.causes.get(cause);
    if (w !== undefined && t < w.until) {
      w.suppressed++;
      return false;
    }
    const suppressed = w?.suppressed ?? 0;
    if (w === undefined && this.causes.size >= MAX_CAUSES) this.prune(t);
    this.causes.set(cause, { until: t + this.intervalMs, suppressed: 0 });
    logger[level](suppressed > 0 ? { ...obj, suppressed } : obj, suppressed > 0 ? `${msg} (${suppressed} more like this suppressed)` : msg);
    return true;
  }

  private prune(t: number): void {
    for (const [cause, w] of this.causes) if (t >= w.until && w.suppressed === 0) this.causes.delete(cause);
    // Still full: forget the oldest causes (their suppressed counts are lost, not their first lines).
    for (const cause of this.causes.keys()) {
      if (this.causes.size < MAX_CAUSES) break;
      this.causes.delete(cause);
    }
  }
}

/**
 * The logger handed to storage: its error lines (a failing disk fails every
 * write alike, on every partition) go through `limiter`, one per message and
 * errno code per interval; other levels pass untouched. Children inherit it.
 */
export function rateLimitErrors(logger: Logger, limiter: RateLimitedLog): Logger {
  const wrapped = Object.create(logger) as Logger;
  const error = logger.error.bind(logger) as (...a: unknown[]) => void;
  wrapped.error = ((obj: unknown, msg?: string, ...args: unknown[]) => {
    if (typeof obj !== 'object' || obj === null || msg === undefined || args.length > 0) return error(obj, msg, ...args);
    const code = ((obj as { err?: { code?: unknown } }).err?.code as string | undefined) ?? '';
    limiter.log(logger, 'error', `${msg} ${code}`, obj as Record<string, unknown>, msg);
  }) as Logger['error'];
  wrapped.child = ((bindings: Record<string, unknown>) => rateLimitErrors(logger.child(bindings), limiter)) as unknown as Logger['child'];
  return wrapped;
}
