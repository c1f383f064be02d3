// Retrying an operation while the broker answers a retriable Kafka error
// (a coordinator loading, a leader moving), with a short growing backoff.
import { KafkaError } from './errors.js';

export interface RetryOptions {
  readonly attempts: number;
  /** Called before each retry, e.g. to forget a cached leader or coordinator. */
  readonly onRetry?: (err: KafkaError) => void;
  /** Narrows which retriable errors are retried (default: all). */
  readonly retryIf?: (err: KafkaError) => boolean;
}

export async function withRetries<T>(fn: () => Promise<T>, opts: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof KafkaError) || !e.retriable || attempt >= opts.attempts || opts.retryIf?.(e) === false) throw e;
      opts.onRetry?.(e);
      await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 1000)));
    }
  }
}
