// DeleteAcls (key 31), versions 0-3.
// Needs ALTER on the cluster (else every filter CLUSTER_AUTHORIZATION_FAILED).
// Without an authorizer every filter answers SECURITY_DISABLED, "No Authorizer is
// configured.", as Kafka. A filter with an UNKNOWN code fails to parse in Kafka: the
// connection is closed. Otherwise each filter removes the bindings it matches
// (Kafka's AclBindingFilter, as DescribeAcls) and lists them; the removal is
// persisted before the answer. v0 has no pattern field: its filters are LITERAL.
import { DeleteAclsApi } from '../../protocol/messages/31-delete-acls.js';
import { ErrorCode } from '../../protocol/errors.js';
import { CloseConnection, defineHandler } from '../registry.js';
import { filterFromWire, unparseableCodes } from '../security/acl.js';
import { AclOperation, clusterAuthorized } from '../security/authorize.js';

export const deleteAclsHandler = defineHandler({
  api: DeleteAclsApi,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, req) {
    const filters = req.filters.map(filterFromWire);
    for (const f of filters) {
      const unparseable = unparseableCodes(f);
      if (unparseable !== undefined) return new CloseConnection(`DeleteAcls: ${unparseable}`);
    }
    const all = (errorCode: number, errorMessage: string | null) => ({ filterResults: filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })) });
    if (!clusterAuthorized(ctx, AclOperation.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
    if (ctx.broker.authorizer === null) return all(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.');
    const removed = await ctx.broker.acls.remove(filters);
    return {
      filterResults: removed.map((bindings) => ({
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        matchingAcls: bindings.map((b) => ({
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          resourceType: b.resourceType,
          resourceName: b.resourceName,
          patternType: b.patternType,
          principal: b.principal,
          host: b.host,
          operation: b.operation,
          permissionType: b.permission,
        })),
      })),
    };
  },
});
