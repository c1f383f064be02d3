// reset(): the broker as just started, in milliseconds, so each test starts clean
// without a new broker: every topic (internal ones too) with its data and producer
// state, every group, its configs and committed offsets, the faults and the request log are gone;
// ports, config and open connections stay.
import type { Logger } from 'pino';
import type { Cluster } from '../cluster.js';
import type { ProducerIdManager } from '../producer-ids.js';
import type { Fault, FaultInjector } from '../faults/faults.js';
import type { RequestLog } from '../faults/request-log.js';

export interface ResetResult {
  /** Faults injected since the last reset that never fired: a test that relied on one proved nothing. */
  readonly unusedFaults: Fault[];
}

export interface Resettable {
  readonly cluster: Cluster;
  readonly producerIds: ProducerIdManager;
  readonly faults: FaultInjector;
  readonly requests: RequestLog;
  readonly logger: Logger;
}

export async function resetBroker(b: Resettable): Promise<ResetResult> {
  const unusedFaults = b.faults.clear();
  b.requests.clear();
  // __consumer_offsets goes too: its coordinator shards unload with it (group-shards.ts).
  await b.cluster.deleteAllTopics();
  await b.cluster.clearGroupConfigs();
  await b.cluster.clearClientQuotas();
  await b.producerIds.reset();
  b.logger.info(
    { unusedFaults: unusedFaults.map((f) => f.id) },
    unusedFaults.length > 0 ? `broker reset; faults never fired: ${unusedFaults.map((f) => f.describe()).join('; ')}` : 'broker reset',
  );
  return { unusedFaults };
}
