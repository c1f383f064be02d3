// CreateAcls (key 30), versions 0-3.
// Needs ALTER on the cluster (else every result CLUSTER_AUTHORIZATION_FAILED).
// Without an authorizer every creation answers SECURITY_DISABLED, "No Authorizer is
// configured.", as Kafka. An UNKNOWN code, or a non-LITERAL pattern in v0, fails to
// parse in Kafka: the connection is closed. A filter-only code (ANY type, operation
// or permission, ANY/MATCH pattern) cannot become a binding: every result is
// UNKNOWN_SERVER_ERROR. Per creation, INVALID_REQUEST for a CLUSTER resource not
// named kafka-cluster, an empty name, or a principal not of the form Type:name.
// The valid ones are stored (a duplicate once) and persisted before the answer.
import { CreateAclsApi } from '../../protocol/messages/30-create-acls.js';
import { ErrorCode } from '../../protocol/errors.js';
import { CloseConnection, defineHandler } from '../registry.js';
import { PatternType, hasFilterOnlyCodes, invalidBinding, unparseableCodes, type AclBinding } from '../security/acl.js';
import { AclOperation, clusterAuthorized } from '../security/authorize.js';

export const createAclsHandler = defineHandler({
  api: CreateAclsApi,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, req) {
    const bindings: AclBinding[] = req.creations.map((c) => ({
      resourceType: c.resourceType,
      resourceName: c.resourceName,
      patternType: c.resourcePatternType,
      principal: c.principal,
      host: c.host,
      operation: c.operation,
      permission: c.permissionType,
    }));
    for (const b of bindings) {
      const unparseable = unparseableCodes(b);
      if (unparseable !== undefined) return new CloseConnection(`CreateAcls: ${unparseable}`);
      if (ctx.apiVersion === 0 && b.patternType !== PatternType.LITERAL) return new CloseConnection('CreateAcls: Version 0 only supports literal resource pattern types');
    }
    const all = (errorCode: number, errorMessage: string | null) => ({ results: bindings.map(() => ({ errorCode, errorMessage })) });
    if (!clusterAuthorized(ctx, AclOperation.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
    if (ctx.broker.authorizer === null) return all(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.');
    if (bindings.some(hasFilterOnlyCodes)) return all(ErrorCode.UNKNOWN_SERVER_ERROR, null);
    const invalid = bindings.map(invalidBinding);
    await ctx.broker.acls.add(bindings.filter((_, i) => invalid[i] === undefined));
    return {
      results: invalid.map((message) =>
        message === undefined ? { errorCode: ErrorCode.NONE, errorMessage: null } : { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: message },
      ),
    };
  },
});
