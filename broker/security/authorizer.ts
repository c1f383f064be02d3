// The authorizer, with the decisions of Kafka's StandardAuthorizer
// (StandardAuthorizerData; the removed AclAuthorizer decided the same way):
//   1. a super user (`super.users`, `Type:name` strings) may do anything;
//   2. the ACLs of the resource are those of its type whose LITERAL name equals it,
//      LITERAL `*`, or PREFIXED name starts it;
//   3. one applies when its principal is the session's or `User:*`, its host is `*`
//      or the client's address, and its operation is ALL, the one asked, or (ALLOW
//      only) one implying it: READ/WRITE/DELETE/ALTER imply DESCRIBE, ALTER_CONFIGS
//      implies DESCRIBE_CONFIGS;
//   4. an applying DENY denies, else an applying ALLOW allows, else a resource with
//      no ACL at all follows `allow.everyone.if.no.acl.found`, else deny.
import type { BrokerConfig } from '../config.js';
import { AclOperation, AclPermission, PatternType, WILDCARD, WILDCARD_PRINCIPAL, invalidPrincipal, type AclBinding } from './acl.js';
import type { AclStore } from './acl-store.js';

/** The class names Kafka accepts for its ACL authorizer (AclAuthorizer was removed in 4.0 and decided the same way). */
export const AUTHORIZER_CLASS_NAMES = ['org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'kafka.security.authorizer.AclAuthorizer'] as const;

/** Who asks: the session's principal (`User:alice`) and the client's address as Java prints it. */
export interface Session {
  readonly principal: string;
  readonly host: string;
}

const IMPLIES_DESCRIBE: readonly number[] = [AclOperation.DESCRIBE, AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER];
const IMPLIES_DESCRIBE_CONFIGS: readonly number[] = [AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS];

function operationApplies(acl: AclBinding, op: number): boolean {
  if (acl.operation === AclOperation.ALL || acl.operation === op) return true;
  if (acl.permission !== AclPermission.ALLOW) return false;
  if (op === AclOperation.DESCRIBE) return IMPLIES_DESCRIBE.includes(acl.operation);
  if (op === AclOperation.DESCRIBE_CONFIGS) return IMPLIES_DESCRIBE_CONFIGS.includes(acl.operation);
  return false;
}

function sessionMatches(acl: AclBinding, s: Session): boolean {
  return (acl.principal === s.principal || acl.principal === WILDCARD_PRINCIPAL) && (acl.host === WILDCARD || acl.host === s.host);
}

function resourceMatches(acl: AclBinding, name: string): boolean {
  if (acl.patternType === PatternType.LITERAL) return acl.resourceName === name || acl.resourceName === WILDCARD;
  return acl.patternType === PatternType.PREFIXED && name.startsWith(acl.resourceName);
}

/** `super.users`: principals separated by `;`, blanks ignored, each `Type:name` (Kafka's message otherwise). */
export function parseSuperUsers(text: string): Set<string> {
  const users = new Set<string>();
  for (const part of text.split(';')) {
    const p = part.trim();
    if (p === '') continue;
    const bad = invalidPrincipal(p);
    if (bad !== undefined) throw new Error(bad);
    users.add(p);
  }
  return users;
}

export class Authorizer {
  /** ACLs by resource type, rebuilt when the store's list changes. */
  private indexed: readonly AclBinding[] | null = null;
  private byType = new Map<number, AclBinding[]>();

  constructor(
    private readonly store: AclStore,
    private readonly superUsers: ReadonlySet<string>,
    private readonly allowEveryoneIfNoAclFound: boolean,
  ) {}

  private aclsOf(resourceType: number): readonly AclBinding[] {
    const all = this.store.all();
    if (all !== this.indexed) {
      this.byType = new Map();
      for (const acl of all) {
        const list = this.byType.get(acl.resourceType);
        if (list) list.push(acl);
        else this.byType.set(acl.resourceType, [acl]);
      }
      this.indexed = all;
    }
    return this.byType.get(resourceType) ?? [];
  }

  isSuperUser(principal: string): boolean {
    return this.superUsers.has(principal);
  }

  /** May the session do `op` on the LITERAL resource `resourceType`/`name`? */
  authorize(s: Session, op: number, resourceType: number, name: string): boolean {
    if (this.superUsers.has(s.principal)) return true;
    let anyAcl = false;
    let allowed = false;
    for (const acl of this.aclsOf(resourceType)) {
      if (!resourceMatches(acl, name)) continue;
      anyAcl = true;
      if (!sessionMatches(acl, s) || !operationApplies(acl, op)) continue;
      if (acl.permission === AclPermission.DENY) return false;
      allowed = true;
    }
    return allowed || (!anyAcl && this.allowEveryoneIfNoAclFound);
  }

  /**
   * May the session do `op` on at least one resource of the type (Kafka's
   * Authorizer.authorizeByResourceType, used by InitProducerId without a
   * transactional id): yes when an arbitrary name is allowed (super users, the
   * no-ACL default), no on a DENY for `*`, yes on an ALLOW for `*` or an ALLOW not
   * cancelled by a DENY of the same literal name or of a prefix of it.
   */
  authorizeByResourceType(s: Session, op: number, resourceType: number): boolean {
    if (this.authorize(s, op, resourceType, 'hardcode')) return true;
    const denyLiteral = new Set<string>();
    const denyPrefixed = new Set<string>();
    const allows: AclBinding[] = [];
    for (const acl of this.aclsOf(resourceType)) {
      if (!sessionMatches(acl, s) || (acl.operation !== op && acl.operation !== AclOperation.ALL)) continue;
      if (acl.permission === AclPermission.DENY) {
        if (acl.patternType === PatternType.LITERAL && acl.resourceName === WILDCARD) return false;
        (acl.patternType === PatternType.LITERAL ? denyLiteral : denyPrefixed).add(acl.resourceName);
      } else {
        allows.push(acl);
      }
    }
    if (allows.some((a) => a.patternType === PatternType.LITERAL && a.resourceName === WILDCARD)) return true;
    return allows.some((a) => {
      if (a.patternType === PatternType.LITERAL && denyLiteral.has(a.resourceName)) return false;
      for (let i = 1; i <= a.resourceName.length; i++) if (denyPrefixed.has(a.resourceName.slice(0, i))) return false;
      return true;
    });
  }
}

/** The authorizer `authorizer.class.name` asks for (the config table refuses other classes), or null when it is empty. */
export function createAuthorizer(config: BrokerConfig, store: AclStore): Authorizer | null {
  if (config.values['authorizer.class.name'] === '') return null;
  return new Authorizer(store, parseSuperUsers(config.values['super.users'] ?? ''), config.values['allow.everyone.if.no.acl.found']);
}

/**
 * The client's address as Kafka sees it (Java's InetAddress.getHostAddress()),
 * from a `host:port` remote: IPv4-mapped IPv6 as plain IPv4, other IPv6 as eight
 * uncompressed groups without leading zeros (`0:0:0:0:0:0:0:1`).
 */
export function javaHostAddress(remote: string): string {
  const host = remote.slice(0, remote.lastIndexOf(':'));
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  if (mapped) return mapped[1]!;
  if (!host.includes(':')) return host;
  const [head, tail] = host.includes('::') ? host.split('::') as [string, string] : [host, undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.map((g) => parseInt(g, 16).toString(16)).join(':');
}
