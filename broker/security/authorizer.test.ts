// Issue 11, the pure parts of ACLs: Kafka's filter matching (AclBindingFilter),
// the store's persistence, and the authorizer's decisions as a truth table worked
// out by hand from StandardAuthorizerData's rules.
import { describe, expect, it } from 'vitest';
import { MemoryFileSystem } from '../../storage/fs-memory.js';
import { mkdirDurable } from '../../storage/fs.js';
import { AclOperation as Op, AclPermission, PatternType, ResourceType as RT, filterMatches, invalidBinding, type AclBinding, type AclBindingFilter } from './acl.js';
import { AclStore } from './acl-store.js';
import { Authorizer, javaHostAddress, parseSuperUsers } from './authorizer.js';
import { resolveBrokerConfig } from '../config.js';
import { startBroker } from '../broker.js';

const { ALLOW, DENY } = AclPermission;
const { LITERAL, PREFIXED, MATCH, ANY } = PatternType;

function acl(resourceType: number, resourceName: string, patternType: number, principal: string, operation: number, permission: number, host = '*'): AclBinding {
  return { resourceType, resourceName, patternType, principal, host, operation, permission };
}

const ANY_FILTER: AclBindingFilter = { resourceType: RT.ANY, resourceName: null, patternType: ANY, principal: null, host: null, operation: Op.ANY, permission: AclPermission.ANY };

async function store(acls: AclBinding[] = [], fs = new MemoryFileSystem()): Promise<AclStore> {
  await mkdirDurable(fs, '/d');
  const s = await AclStore.open(fs, '/d');
  await s.add(acls);
  return s;
}

describe('ACL filters (Kafka\'s ResourcePatternFilter and AccessControlEntryFilter)', () => {
  const literalFoo = acl(RT.TOPIC, 'foo', LITERAL, 'User:a', Op.READ, ALLOW);
  const wildcard = acl(RT.TOPIC, '*', LITERAL, 'User:a', Op.READ, ALLOW);
  const prefixedF = acl(RT.TOPIC, 'f', PREFIXED, 'User:a', Op.READ, ALLOW);
  const prefixedFoo = acl(RT.TOPIC, 'foo', PREFIXED, 'User:b', Op.WRITE, DENY, '10.0.0.1');
  const group = acl(RT.GROUP, 'foo', LITERAL, 'User:a', Op.READ, ALLOW);
  const all = [literalFoo, wildcard, prefixedF, prefixedFoo, group];
  const f = (over: Partial<AclBindingFilter>) => all.filter((b) => filterMatches({ ...ANY_FILTER, ...over }, b));

  it('ANY and nulls match everything; a type narrows', () => {
    expect(f({})).toEqual(all);
    expect(f({ resourceType: RT.GROUP })).toEqual([group]);
  });
  it('a pattern type with a name matches that pattern and exact name only', () => {
    expect(f({ resourceType: RT.TOPIC, resourceName: 'foo', patternType: LITERAL })).toEqual([literalFoo]);
    expect(f({ resourceType: RT.TOPIC, resourceName: 'foo', patternType: PREFIXED })).toEqual([prefixedFoo]);
    expect(f({ resourceType: RT.TOPIC, resourceName: 'f', patternType: LITERAL })).toEqual([]);
  });
  it('ANY pattern with a name matches that exact name under any pattern', () => {
    expect(f({ resourceType: RT.TOPIC, resourceName: 'foo', patternType: ANY })).toEqual([literalFoo, prefixedFoo]);
  });
  it('MATCH finds every binding that applies to the name: literal, `*`, prefixes', () => {
    expect(f({ resourceType: RT.TOPIC, resourceName: 'foobar', patternType: MATCH })).toEqual([wildcard, prefixedF, prefixedFoo]);
    expect(f({ resourceType: RT.TOPIC, resourceName: 'foo', patternType: MATCH })).toEqual([literalFoo, wildcard, prefixedF, prefixedFoo]);
    expect(f({ resourceType: RT.TOPIC, resourceName: 'bar', patternType: MATCH })).toEqual([wildcard]);
    expect(f({ patternType: MATCH })).toEqual(all);
  });
  it('principal, host, operation and permission narrow exactly (no implied operations)', () => {
    expect(f({ principal: 'User:b' })).toEqual([prefixedFoo]);
    expect(f({ host: '10.0.0.1' })).toEqual([prefixedFoo]);
    expect(f({ operation: Op.DESCRIBE })).toEqual([]);
    expect(f({ permission: DENY })).toEqual([prefixedFoo]);
  });
  it('a new binding needs the cluster\'s one name, a name, and a Type:name principal', () => {
    expect(invalidBinding(acl(RT.CLUSTER, 'other', LITERAL, 'User:a', Op.ALTER, ALLOW))).toBe('The only valid name for the CLUSTER resource is kafka-cluster');
    expect(invalidBinding(acl(RT.TOPIC, '', LITERAL, 'User:a', Op.READ, ALLOW))).toBe('Invalid empty resource name');
    expect(invalidBinding(acl(RT.TOPIC, 't', LITERAL, 'alice', Op.READ, ALLOW))).toBe('expected a string in format principalType:principalName but got alice');
    expect(invalidBinding(acl(RT.CLUSTER, 'kafka-cluster', LITERAL, 'User:a', Op.ALTER, ALLOW))).toBeUndefined();
  });
});

describe('the ACL store', () => {
  it('keeps a duplicate once, removes what filters match, and survives a restart', async () => {
    const fs = new MemoryFileSystem();
    const a = acl(RT.TOPIC, 't', LITERAL, 'User:a', Op.READ, ALLOW);
    const b = acl(RT.GROUP, 'g', PREFIXED, 'User:b', Op.READ, DENY);
    const s = await store([a, { ...a }, b], fs);
    expect(s.all()).toEqual([a, b]);
    const removed = await s.remove([{ ...ANY_FILTER, resourceType: RT.GROUP }, { ...ANY_FILTER, principal: 'User:nobody' }]);
    expect(removed).toEqual([[b], []]);
    const reopened = await AclStore.open(fs, '/d');
    expect(reopened.all()).toEqual([a]);
  });
});

describe('the authorizer (StandardAuthorizer\'s rules)', () => {
  const alice = { principal: 'User:alice', host: '10.0.0.1' };
  const bob = { principal: 'User:bob', host: '10.0.0.2' };

  // [what, acls, session, operation, resource type, name, expected]
  type Row = [string, AclBinding[], typeof alice, number, number, string, boolean];
  const rows: Row[] = [
    ['no ACL at all: default deny', [], alice, Op.READ, RT.TOPIC, 't', false],
    ['literal allow', [acl(RT.TOPIC, 't', LITERAL, 'User:alice', Op.READ, ALLOW)], alice, Op.READ, RT.TOPIC, 't', true],
    ['literal allow is for that name only', [acl(RT.TOPIC, 't', LITERAL, 'User:alice', Op.READ, ALLOW)], alice, Op.READ, RT.TOPIC, 't2', false],
    ['literal allow is for that type only', [acl(RT.GROUP, 't', LITERAL, 'User:alice', Op.READ, ALLOW)], alice, Op.READ, RT.TOPIC, 't', false],
    ['literal allow is for that principal only', [acl(RT.TOPIC, 't', LITERAL, 'User:alice', Op.READ, ALLOW)], bob, Op.READ, RT.TOPIC, 't', false],
    ['User:* is everyone', [acl(RT.TOPIC, 't', LITERAL, 'User:*', Op.READ, ALLOW)], bob, Op.READ, RT.TOPIC, 't', true],
    ['wildcard resource', [acl(RT.TOPIC, '*', LITERAL, 'User:alice', Op.READ, ALLOW)], alice, Op.READ, RT.TOPIC, 'anything', true],
    ['prefixed resource', [acl(RT.TOPIC, 'orders-', PREFIXED, 'User:alice', Op.WRITE, ALLOW)], alice, Op.WRITE, RT.TOPIC, 'orders-eu', true],
    ['prefixed resource, other name', [acl(RT.TOPIC, 'orders-', PREFIXED, 'User:alice', Op.WRITE, ALLOW)], alice, Op.WRITE, RT.TOPIC, 'order', false],
    ['a literal `orders-*` is not a prefix', [acl(RT.TOPIC, 'orders-*', LITERAL, 'User:alice', Op.WRITE, ALLOW)], alice, Op.WRITE, RT.TOPIC, 'orders-eu', false],
    ['host must match', [acl(RT.TOPIC, 't', LITERAL, 'User:alice', Op.READ, ALLOW, '10.0.0.9')], alice, Op.READ, RT.TOPIC, 't', false],
    ['host equal', [acl(RT.TOPIC, 't', LITERAL, 'User:alice', Op.READ, ALLOW, '10.0.0.1')], alice, Op.READ, RT.TOPIC, 't', true],
    ['ALL allows every operation', [acl(RT.TOPIC, 't', LITERAL, 'User:alice', Op.ALL, ALLOW)], alice, Op.DELETE, RT.TOPIC, 't', true],
    ['READ implies DESCRIBE', [acl(RT.TOPIC, 't', LITERAL, 'User:alice', Op.READ, ALLOW)], alice, Op.DESCRIBE, RT.TOPIC, 't', true],
    ['WRITE implies DESCRIBE', [acl(RT.TOPIC, 't', LITERAL, 'User:alice', Op.WRITE, ALLOW)], alice, Op.DESCRIBE, RT.TOPIC, 't', true],
    ['DELETE implies DESCRIBE', [acl(RT.TOPIC, 't', LITERAL, 'User:alice', Op.DELETE, ALLOW)], alice, Op.DESCRIBE, RT.TOPIC, 't', true],
    ['ALTER implies DESCRIBE', [acl(RT.TOPIC, 't', LITERAL, 'User:alice', Op.ALTER, ALLOW)], alice, Op.DESCRIBE, RT.TOPIC, 't', true],
    ['CREATE does not imply DESCRIBE', [acl(RT.TOPIC, 't', LITERAL, 'User:alice', Op.CREATE, ALLOW)], alice, Op.DESCRIBE, RT.TOPIC, 't', false],
    ['DESCRIBE does not imply READ', [acl(RT.TOPIC, 't', LITERAL, 'User:alice', Op.DESCRIBE, ALLOW)], alice, Op.READ, RT.TOPIC, 't', false],
    ['ALTER_CONFIGS implies DESCRIBE_CONFIGS', [acl(RT.TOPIC, 't', LITERAL, 'User:alice', Op.ALTER_CONFIGS, ALLOW)], alice, Op.DESCRIBE_CONFIGS, RT.TOPIC, 't', true],
    ['ALTER does not imply ALTER_CONFIGS', [acl(RT.TOPIC, 't', LITERAL, 'User:alice', Op.ALTER, ALLOW)], alice, Op.ALTER_CONFIGS, RT.TOPIC, 't', false],
    ['deny wins over allow', [acl(RT.TOPIC, 't', LITERAL, 'User:alice', Op.READ, ALLOW), acl(RT.TOPIC, 't', LITERAL, 'User:alice', Op.READ, DENY)], alice, Op.READ, RT.TOPIC, 't', false],
    ['a prefixed deny wins over a literal allow', [acl(RT.TOPIC, 't', LITERAL, 'User:alice', Op.READ, ALLOW), acl(RT.TOPIC, 't', PREFIXED, 'User:*', Op.ALL, DENY)], alice, Op.READ, RT.TOPIC, 't', false],
    ['a deny for another principal does not apply', [acl(RT.TOPIC, 't', LITERAL, 'User:alice', Op.READ, ALLOW), acl(RT.TOPIC, 't', LITERAL, 'User:bob', Op.READ, DENY)], alice, Op.READ, RT.TOPIC, 't', true],
    ['a denied READ does not deny DESCRIBE (no implication for DENY)', [acl(RT.TOPIC, 't', LITERAL, 'User:alice', Op.ALL, ALLOW), acl(RT.TOPIC, 't', LITERAL, 'User:alice', Op.READ, DENY)], alice, Op.DESCRIBE, RT.TOPIC, 't', true],
    ['a denied ALL denies DESCRIBE', [acl(RT.TOPIC, 't', LITERAL, 'User:alice', Op.READ, ALLOW), acl(RT.TOPIC, '*', LITERAL, 'User:alice', Op.ALL, DENY)], alice, Op.DESCRIBE, RT.TOPIC, 't', false],
  ];
  for (const [what, acls, session, op, type, name, expected] of rows) {
    it(`${what}: ${expected ? 'allowed' : 'denied'}`, async () => {
      const a = new Authorizer(await store(acls), new Set(), false);
      expect(a.authorize(session, op, type, name)).toBe(expected);
    });
  }

  it('super users may do anything, even against a DENY', async () => {
    const a = new Authorizer(await store([acl(RT.TOPIC, '*', LITERAL, 'User:*', Op.ALL, DENY)]), parseSuperUsers(' User:root ; User:CN=ops,O=kl;'), false);
    expect(a.authorize({ principal: 'User:root', host: '1.2.3.4' }, Op.ALTER, RT.TOPIC, 't')).toBe(true);
    expect(a.authorize({ principal: 'User:CN=ops,O=kl', host: '1.2.3.4' }, Op.ALTER, RT.TOPIC, 't')).toBe(true);
    expect(a.authorize(alice, Op.ALTER, RT.TOPIC, 't')).toBe(false);
    expect(() => parseSuperUsers('User:a;bob')).toThrow('expected a string in format principalType:principalName but got bob');
  });

  it('allow.everyone.if.no.acl.found allows only resources without any ACL (for anyone)', async () => {
    const a = new Authorizer(await store([acl(RT.TOPIC, 'guarded', LITERAL, 'User:bob', Op.WRITE, ALLOW), acl(RT.TOPIC, 'p-', PREFIXED, 'User:bob', Op.READ, ALLOW)]), new Set(), true);
    expect(a.authorize(alice, Op.READ, RT.TOPIC, 'open')).toBe(true);
    expect(a.authorize(alice, Op.READ, RT.TOPIC, 'guarded')).toBe(false);
    expect(a.authorize(alice, Op.READ, RT.TOPIC, 'p-1')).toBe(false);
    expect(a.authorize(bob, Op.READ, RT.TOPIC, 'guarded')).toBe(false);
    expect(a.authorize(bob, Op.WRITE, RT.TOPIC, 'guarded')).toBe(true);
  });

  it('by resource type (InitProducerId): any allowed name, unless a DENY covers it', async () => {
    const decide = async (acls: AclBinding[]) => new Authorizer(await store(acls), new Set(), false).authorizeByResourceType(alice, Op.WRITE, RT.TOPIC);
    expect(await decide([])).toBe(false);
    expect(await decide([acl(RT.TOPIC, 'x', LITERAL, 'User:alice', Op.WRITE, ALLOW)])).toBe(true);
    expect(await decide([acl(RT.TOPIC, 'x', LITERAL, 'User:alice', Op.READ, ALLOW)])).toBe(false);
    expect(await decide([acl(RT.TOPIC, 'x', LITERAL, 'User:alice', Op.WRITE, ALLOW), acl(RT.TOPIC, 'x', LITERAL, 'User:alice', Op.WRITE, DENY)])).toBe(false);
    expect(await decide([acl(RT.TOPIC, 'xy', PREFIXED, 'User:alice', Op.WRITE, ALLOW), acl(RT.TOPIC, 'x', PREFIXED, 'User:*', Op.ALL, DENY)])).toBe(false);
    expect(await decide([acl(RT.TOPIC, 'x', PREFIXED, 'User:alice', Op.WRITE, ALLOW), acl(RT.TOPIC, 'xy', PREFIXED, 'User:*', Op.WRITE, DENY)])).toBe(true);
    expect(await decide([acl(RT.TOPIC, '*', LITERAL, 'User:*', Op.WRITE, ALLOW), acl(RT.TOPIC, 'x', LITERAL, 'User:alice', Op.WRITE, DENY)])).toBe(true);
    expect(await decide([acl(RT.TOPIC, 'x', LITERAL, 'User:alice', Op.WRITE, ALLOW), acl(RT.TOPIC, '*', LITERAL, 'User:alice', Op.WRITE, DENY)])).toBe(false);
  });
});

describe('client addresses as Java prints them', () => {
  it('IPv4, IPv4-mapped IPv6 and uncompressed IPv6', () => {
    expect(javaHostAddress('127.0.0.1:5000')).toBe('127.0.0.1');
    expect(javaHostAddress('::ffff:10.1.2.3:5000')).toBe('10.1.2.3');
    expect(javaHostAddress('::1:5000')).toBe('0:0:0:0:0:0:0:1');
    expect(javaHostAddress('fe80::0db8:1:5000')).toBe('fe80:0:0:0:0:0:db8:1');
  });
});

describe('authorizer.class.name', () => {
  it('accepts Kafka\'s two ACL authorizers and refuses any other class at startup', async () => {
    expect(resolveBrokerConfig({ 'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer' }).values['authorizer.class.name']).toBe('kafka.security.authorizer.AclAuthorizer');
    await expect(startBroker({ config: { 'authorizer.class.name': 'com.example.MyAuthorizer' } })).rejects.toThrow(
      'Invalid value com.example.MyAuthorizer for configuration authorizer.class.name',
    );
    await expect(startBroker({ authorizer: true, superUsers: ['admin'] })).rejects.toThrow('expected a string in format principalType:principalName but got admin');
  });
});
