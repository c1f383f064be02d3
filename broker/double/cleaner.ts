// The embedding API's handle on the log cleaner: run a round on a partition
// now and await its outcome (tests of compacted topics need not wait for
// min.cleanable.dirty.ratio and log.cleaner.backoff.ms).

import type { LogManager } from '../../storage/log-manager.js';
import type { RoundResult } from '../../storage/cleaner/manager.js';

export interface BrokerCleaner {
  /**
   * Cleans the partition now, whatever its dirty ratio (min.compaction.lag.ms,
   * the last stable offset and the active segment still bound the round).
   * Resolves with what the round did, or null when there was nothing to clean.
   */
  clean(topic: string, partition: number): Promise<RoundResult | null>;
  /** Resolves once rounds (background or `clean`) have cleaned every offset below `offset`. */
  awaitCleaned(topic: string, partition: number, offset: number): Promise<void>;
}

export function brokerCleaner(logs: LogManager): BrokerCleaner {
  const find = (topic: string, partition: number) => {
    const log = logs.log(topic, partition);
    if (!log) throw new Error(`no partition ${topic}-${partition}`);
    if (!logs.cleaner) throw new Error('the log cleaner is off (log.cleaner.enable=false)');
    return { log, cleaner: logs.cleaner };
  };
  return {
    async clean(topic, partition) {
      const { log, cleaner } = find(topic, partition);
      return cleaner.clean(log);
    },
    async awaitCleaned(topic, partition, offset) {
      const { log, cleaner } = find(topic, partition);
      await cleaner.awaitCleaned(log, offset);
    },
  };
}
