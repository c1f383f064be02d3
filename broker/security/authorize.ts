// What handlers call to ask the authorizer (Kafka's AuthHelper): the connection's
// principal and client address against the broker's authorizer. Without an
// authorizer (authorizer.class.name unset) everything is allowed, as in Kafka.
import type { RequestContext } from '../context.js';
import type { ShardLookup } from '../group-shards.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, CLUSTER_NAME, ResourceType } from './acl.js';
import { javaHostAddress, type Session } from './authorizer.js';

export { AclOperation, ResourceType } from './acl.js';

function session(ctx: RequestContext): Session {
  return { principal: ctx.security.principal, host: javaHostAddress(ctx.remote) };
}

/** May this request's principal do `op` on the resource? Denials are logged, as Kafka's audit log does. */
export function authorized(ctx: RequestContext, op: number, resourceType: number, name: string): boolean {
  const authorizer = ctx.broker.authorizer;
  if (authorizer === null) return true;
  const s = session(ctx);
  if (authorizer.authorize(s, op, resourceType, name)) return true;
  // A client retrying a refused request would repeat the line: once per cause per interval.
  const cause = `authorization denied: ${s.principal} ${op} ${resourceType}:${name}`;
  ctx.broker.rateLimitedLog.log(ctx.logger, 'info', cause, { principal: s.principal, host: s.host, operation: op, resourceType, resource: name, apiKey: ctx.apiKey }, 'authorization denied');
  return false;
}

/** The same question asked to filter what is shown (Metadata for all topics, ListGroups): denials are not logged. */
export function visible(ctx: RequestContext, op: number, resourceType: number, name: string): boolean {
  const authorizer = ctx.broker.authorizer;
  return authorizer === null || authorizer.authorize(session(ctx), op, resourceType, name);
}

export function clusterAuthorized(ctx: RequestContext, op: number): boolean {
  return authorized(ctx, op, ResourceType.CLUSTER, CLUSTER_NAME);
}

/** May the principal do `op` on some resource of the type (Kafka's authorizeByResourceType)? */
export function authorizedByResourceType(ctx: RequestContext, op: number, resourceType: number): boolean {
  const authorizer = ctx.broker.authorizer;
  return authorizer === null || authorizer.authorizeByResourceType(session(ctx), op, resourceType);
}

/** The bit set of the operations in `operations` (a bit set, as in acl-operations.ts) the principal may do on the resource. */
export function authorizedOperations(ctx: RequestContext, operations: number, resourceType: number, name: string): number {
  const authorizer = ctx.broker.authorizer;
  if (authorizer === null) return operations;
  const s = session(ctx);
  let bits = 0;
  for (let op = AclOperation.READ; op <= AclOperation.DESCRIBE_TOKENS; op++) {
    if ((operations & (1 << op)) !== 0 && authorizer.authorize(s, op, resourceType, name)) bits |= 1 << op;
  }
  return bits;
}

/** The group's coordinator shard for a request that needs `op` on the group; GROUP_AUTHORIZATION_FAILED first. */
export async function authorizedGroupShard(ctx: RequestContext, op: number, groupId: string): Promise<ShardLookup> {
  if (!authorized(ctx, op, ResourceType.GROUP, groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
  return ctx.broker.groups.coordinatorFor(groupId, ctx.node.nodeId);
}

/** Config resource types (DescribeConfigs, AlterConfigs): TOPIC, BROKER, BROKER_LOGGER, GROUP. */
const CONFIG_TOPIC = 2, CONFIG_BROKER = 4, CONFIG_BROKER_LOGGER = 8, CONFIG_GROUP = 32;

/**
 * Kafka's check of a config resource (DESCRIBE_CONFIGS or ALTER_CONFIGS on the
 * topic, the group, or the cluster for brokers and their loggers): the error code
 * when refused (TOPIC_/GROUP_/CLUSTER_AUTHORIZATION_FAILED), else null. Other
 * resource types are left to the handler's own checks.
 */
export function configResourceDenied(ctx: RequestContext, op: number, configResourceType: number, name: string): number | null {
  switch (configResourceType) {
    case CONFIG_TOPIC:
      return authorized(ctx, op, ResourceType.TOPIC, name) ? null : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
    case CONFIG_GROUP:
      return authorized(ctx, op, ResourceType.GROUP, name) ? null : ErrorCode.GROUP_AUTHORIZATION_FAILED;
    case CONFIG_BROKER:
    case CONFIG_BROKER_LOGGER:
      return clusterAuthorized(ctx, op) ? null : ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
    default:
      return null;
  }
}
