// ACL bindings as Kafka has them (org.apache.kafka.common.acl / .resource): the
// wire codes of resource types, pattern types, operations and permissions, the
// checks a new binding must pass, and how a filter (DescribeAcls, DeleteAcls)
// matches a binding (Kafka's AclBindingFilter and ResourcePatternFilter).

export const ResourceType = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5, DELEGATION_TOKEN: 6, USER: 7 } as const;
export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;
export const AclOperation = {
  UNKNOWN: 0, ANY: 1, ALL: 2, READ: 3, WRITE: 4, CREATE: 5, DELETE: 6, ALTER: 7, DESCRIBE: 8,
  CLUSTER_ACTION: 9, DESCRIBE_CONFIGS: 10, ALTER_CONFIGS: 11, IDEMPOTENT_WRITE: 12, CREATE_TOKENS: 13, DESCRIBE_TOKENS: 14,
} as const;
export const AclPermission = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;

/** The one name of the CLUSTER resource. */
export const CLUSTER_NAME = 'kafka-cluster';
/** A LITERAL resource name, principal or host matching every one. */
export const WILDCARD = '*';
export const WILDCARD_PRINCIPAL = 'User:*';

/** One ACL: who (principal, host) may or may not do what (operation) on which resources. */
export interface AclBinding {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly patternType: number;
  readonly principal: string;
  readonly host: string;
  readonly operation: number;
  readonly permission: number;
}

/** Null strings and ANY codes match everything; MATCH patterns match the resources a name falls under. */
export interface AclBindingFilter {
  readonly resourceType: number;
  readonly resourceName: string | null;
  readonly patternType: number;
  readonly principal: string | null;
  readonly host: string | null;
  readonly operation: number;
  readonly permission: number;
}

/** A filter as DescribeAcls and DeleteAcls carry it on the wire. */
export function filterFromWire(f: {
  resourceTypeFilter: number; resourceNameFilter: string | null; patternTypeFilter: number;
  principalFilter: string | null; hostFilter: string | null; operation: number; permissionType: number;
}): AclBindingFilter {
  return {
    resourceType: f.resourceTypeFilter,
    resourceName: f.resourceNameFilter,
    patternType: f.patternTypeFilter,
    principal: f.principalFilter,
    host: f.hostFilter,
    operation: f.operation,
    permission: f.permissionType,
  };
}

const MAX_OPERATION = AclOperation.DESCRIBE_TOKENS;
const inRange = (code: number, min: number, max: number) => Number.isInteger(code) && code >= min && code <= max;

/**
 * Whether the request's parser would refuse these codes (Kafka fails to parse a
 * request carrying an UNKNOWN or out-of-range code): the message, or undefined.
 */
export function unparseableCodes(b: { resourceType: number; patternType: number; operation: number; permission: number }): string | undefined {
  if (!inRange(b.resourceType, ResourceType.ANY, ResourceType.USER)) return `unknown resource type ${b.resourceType}`;
  if (!inRange(b.patternType, PatternType.ANY, PatternType.PREFIXED)) return `unknown pattern type ${b.patternType}`;
  if (!inRange(b.operation, AclOperation.ANY, MAX_OPERATION)) return `unknown operation ${b.operation}`;
  if (!inRange(b.permission, AclPermission.ANY, AclPermission.ALLOW)) return `unknown permission type ${b.permission}`;
  return undefined;
}

/**
 * Codes only a filter may carry (ANY, MATCH): Kafka cannot build a binding from
 * them, and the whole CreateAcls request fails with UNKNOWN_SERVER_ERROR.
 */
export function hasFilterOnlyCodes(b: AclBinding): boolean {
  return b.resourceType === ResourceType.ANY || b.patternType === PatternType.ANY || b.patternType === PatternType.MATCH
    || b.operation === AclOperation.ANY || b.permission === AclPermission.ANY;
}

/** Kafka's per-creation checks (AclApis, then the principal's parse): an INVALID_REQUEST message, or undefined. */
export function invalidBinding(b: AclBinding): string | undefined {
  if (b.resourceType === ResourceType.CLUSTER && b.resourceName !== CLUSTER_NAME) {
    return `The only valid name for the CLUSTER resource is ${CLUSTER_NAME}`;
  }
  if (b.resourceName === '') return 'Invalid empty resource name';
  return invalidPrincipal(b.principal);
}

/** Kafka's SecurityUtils.parseKafkaPrincipal: `Type:name`; its message, or undefined. */
export function invalidPrincipal(principal: string): string | undefined {
  return principal.includes(':') ? undefined : `expected a string in format principalType:principalName but got ${principal}`;
}

/** Kafka's ResourcePatternFilter.matches. */
function patternMatches(f: AclBindingFilter, b: AclBinding): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== b.resourceType) return false;
  if (f.patternType !== PatternType.ANY && f.patternType !== PatternType.MATCH && f.patternType !== b.patternType) return false;
  if (f.resourceName === null) return true;
  if (f.patternType === PatternType.ANY || f.patternType === b.patternType) return f.resourceName === b.resourceName;
  // MATCH: the bindings that would apply to a resource of this name.
  if (b.patternType === PatternType.LITERAL) return f.resourceName === b.resourceName || b.resourceName === WILDCARD;
  return f.resourceName.startsWith(b.resourceName);
}

/** Kafka's AclBindingFilter.matches: the resource pattern, then principal, host, operation, permission. */
export function filterMatches(f: AclBindingFilter, b: AclBinding): boolean {
  return patternMatches(f, b)
    && (f.principal === null || f.principal === b.principal)
    && (f.host === null || f.host === b.host)
    && (f.operation === AclOperation.ANY || f.operation === b.operation)
    && (f.permission === AclPermission.ANY || f.permission === b.permission);
}

export function sameBinding(a: AclBinding, b: AclBinding): boolean {
  return a.resourceType === b.resourceType && a.resourceName === b.resourceName && a.patternType === b.patternType
    && a.principal === b.principal && a.host === b.host && a.operation === b.operation && a.permission === b.permission;
}
