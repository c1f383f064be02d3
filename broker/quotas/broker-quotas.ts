// One node's client quota enforcement (each Kafka broker enforces its own):
// produce bytes against producer_byte_rate, fetch bytes against
// consumer_byte_rate, handler time against request_percentage, new connections
// per IP against connection_creation_rate; and the cluster's
// controller_mutation_rate, shared by every node. Every rate is measured over
// quota.window.num windows of quota.window.size.seconds, on the broker's clock.
import type { BrokerConfig } from '../config.js';
import type { Clock } from '../clock.js';
import type { ClientQuotas } from './client-quotas.js';
import { ClientQuotaManager } from './client-quota-manager.js';
import { ConnectionRateQuota } from './connection-rate-quota.js';
import type { ControllerMutationQuotas } from './controller-mutation-quota.js';
import type { RateWindow } from './sampled-rate.js';

export class BrokerQuotas {
  readonly produce: ClientQuotaManager;
  readonly fetch: ClientQuotaManager;
  /** Kafka bounds a request-time throttle to one window. */
  readonly request: ClientQuotaManager;
  readonly connections: ConnectionRateQuota;

  constructor(
    quotas: ClientQuotas,
    config: () => BrokerConfig,
    readonly clock: Clock,
    /** controller_mutation_rate: the cluster's one controller enforces it, so every node shares it. */
    readonly controllerMutation: ControllerMutationQuotas,
  ) {
    const window = (): RateWindow => ({ samples: config().values['quota.window.num'], windowMs: config().values['quota.window.size.seconds'] * 1000 });
    this.produce = new ClientQuotaManager(quotas, 'producer_byte_rate', window);
    this.fetch = new ClientQuotaManager(quotas, 'consumer_byte_rate', window);
    this.request = new ClientQuotaManager(quotas, 'request_percentage', window, () => window().windowMs);
    this.connections = new ConnectionRateQuota(quotas, window);
  }
}
