// AlterClientQuotas (key 49), versions 0-1.
// Sets and removes quota values of user, client-id and ip entities (a null name
// is the type's default entity) with Kafka 3.9's checks and messages
// (broker/quotas/alter-client-quotas.ts); one result per distinct entity. The
// changes are persisted with the cluster metadata before the answer and take
// effect on the next request (broker/quotas/quota-managers.ts); validateOnly
// checks and changes nothing.
// Authorization as Kafka: ALTER_CONFIGS on the cluster, else every entity's
// result is CLUSTER_AUTHORIZATION_FAILED and nothing changes.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { AlterClientQuotasApi } from '../../protocol/messages/49-alter-client-quotas.js';
import { defineHandler } from '../registry.js';
import { planAlterations } from '../quotas/alter-client-quotas.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, clusterAuthorized } from '../security/authorize.js';

/** Kafka's InetAddress.getByName: an address literal, or a name that resolves. */
async function resolvable(host: string): Promise<boolean> {
  if (isIP(host) !== 0) return true;
  try {
    await lookup(host);
    return true;
  } catch {
    return false;
  }
}

export const alterClientQuotasHandler = defineHandler({
  api: AlterClientQuotasApi,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, req) {
    if (!clusterAuthorized(ctx, AclOperation.ALTER_CONFIGS)) {
      const denied = { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null };
      return { throttleTimeMs: 0, entries: req.entries.map((e) => ({ ...denied, entity: e.entity.map((p) => ({ ...p })) })) };
    }
    const cluster = ctx.broker.cluster;
    const { results, records } = await planAlterations(cluster.clientQuotas, req.entries, resolvable);
    if (!req.validateOnly) await cluster.alterClientQuotas(records);
    return {
      throttleTimeMs: 0,
      entries: results.map((r) => ({ errorCode: r.errorCode, errorMessage: r.errorMessage, entity: r.entity.map((p) => ({ ...p })) })),
    };
  },
});
