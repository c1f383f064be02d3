// DescribeClientQuotas (key 48), versions 0-1.
// The client quotas whose entities match the filter, as Kafka 3.9's
// ClientQuotasImage answers (broker/quotas/client-quotas.ts): EXACT, DEFAULT and
// SPECIFIED components, strict or not; an empty non-strict filter lists every
// entity. A filter Kafka refuses gets its error code and message with null entries.
// Authorization as Kafka: DESCRIBE_CONFIGS on the cluster, else
// CLUSTER_AUTHORIZATION_FAILED with no entries.
import { DescribeClientQuotasApi } from '../../protocol/messages/48-describe-client-quotas.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from '../registry.js';
import { DescribeError } from '../quotas/client-quotas.js';
import { AclOperation, clusterAuthorized } from '../security/authorize.js';

export const describeClientQuotasHandler = defineHandler({
  api: DescribeClientQuotasApi,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req) {
    if (!clusterAuthorized(ctx, AclOperation.DESCRIBE_CONFIGS)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, entries: null };
    }
    try {
      const entries = ctx.broker.cluster.clientQuotas.describe(req.components, req.strict);
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, entries };
    } catch (e) {
      if (!(e instanceof DescribeError)) throw e;
      return { throttleTimeMs: 0, errorCode: e.errorCode, errorMessage: e.message, entries: null };
    }
  },
});
