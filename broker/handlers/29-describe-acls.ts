// DescribeAcls (key 29), versions 0-3.
// Needs DESCRIBE on the cluster (else CLUSTER_AUTHORIZATION_FAILED). Without an
// authorizer (authorizer.class.name unset) it answers as Kafka does:
// SECURITY_DISABLED, "No Authorizer is configured on the broker". Otherwise the
// bindings the filter matches (Kafka's AclBindingFilter: null name, principal and
// host and ANY codes match all; MATCH finds the LITERAL, `*` and PREFIXED bindings
// that apply to a name), grouped by resource pattern. A filter with an UNKNOWN
// code fails to parse in Kafka: the connection is closed.
import { DescribeAclsApi } from '../../protocol/messages/29-describe-acls.js';
import { ErrorCode } from '../../protocol/errors.js';
import { CloseConnection, defineHandler } from '../registry.js';
import { filterFromWire, unparseableCodes, type AclBinding } from '../security/acl.js';
import { AclOperation, clusterAuthorized } from '../security/authorize.js';

export const describeAclsHandler = defineHandler({
  api: DescribeAclsApi,
  minVersion: 0,
  maxVersion: 3,
  handle(ctx, req) {
    const filter = filterFromWire(req);
    const unparseable = unparseableCodes(filter);
    if (unparseable !== undefined) return new CloseConnection(`DescribeAcls: ${unparseable}`);
    if (!clusterAuthorized(ctx, AclOperation.DESCRIBE)) {
      return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, resources: [] };
    }
    if (ctx.broker.authorizer === null) {
      return { errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured on the broker', resources: [] };
    }
    const byPattern = new Map<string, { resourceType: number; resourceName: string; patternType: number; acls: AclBinding[] }>();
    for (const b of ctx.broker.acls.find(filter)) {
      const key = JSON.stringify([b.resourceType, b.resourceName, b.patternType]);
      const group = byPattern.get(key) ?? { resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, acls: [] };
      group.acls.push(b);
      byPattern.set(key, group);
    }
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      resources: [...byPattern.values()].map((g) => ({
        resourceType: g.resourceType,
        resourceName: g.resourceName,
        patternType: g.patternType,
        acls: g.acls.map((b) => ({ principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permission })),
      })),
    };
  },
});
