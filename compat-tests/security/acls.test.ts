// Issue 11: without an authorizer, kafkajs's ACL admin calls get SECURITY_DISABLED
// with Kafka's messages (they used to fail on an unsupported API version); with
// one, CreateAcls/DescribeAcls/DeleteAcls over the wire: filters, validation,
// CLUSTER ALTER/DESCRIBE, persistence across a restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes, type Admin } from 'kafkajs';
import { testBroker, type TestBroker } from '../support/broker.js';
import { RawClient } from '../../test/support/raw-client.js';
import { DescribeAclsApi } from '../../protocol/messages/29-describe-acls.js';
import { CreateAclsApi } from '../../protocol/messages/30-create-acls.js';
import { DeleteAclsApi } from '../../protocol/messages/31-delete-acls.js';
import { ErrorCode } from '../../protocol/errors.js';
import { MemoryFileSystem } from '../../storage/fs-memory.js';
import { aclBroker, type AclBroker } from '../support/acl-broker.js';

/** An ACL in kafkajs's form: ALLOW User:alice to READ the topic `orders`, with changes. */
const binding = (over: Record<string, unknown>) => ({
  resourceType: AclResourceTypes.TOPIC,
  resourceName: 'orders',
  resourcePatternType: ResourcePatternTypes.LITERAL,
  principal: 'User:alice',
  host: '*',
  operation: AclOperationTypes.READ,
  permissionType: AclPermissionTypes.ALLOW,
  ...over,
});

describe('ACL admin calls without an authorizer (kafkajs)', () => {
  let broker: TestBroker;
  let admin: Admin;
  beforeAll(async () => {
    broker = await testBroker();
    admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.disconnect();
    await broker?.close();
  });

  const acl = binding({});

  it('createAcls, describeAcls and deleteAcls answer SECURITY_DISABLED', async () => {
    // kafkajs shows its own text for the code; the broker's messages are checked below.
    await expect(admin.createAcls({ acl: [acl] })).rejects.toMatchObject({ type: 'SECURITY_DISABLED' });
    await expect(admin.describeAcls(acl)).rejects.toMatchObject({ type: 'SECURITY_DISABLED' });
    await expect(admin.deleteAcls({ filters: [acl] })).rejects.toMatchObject({ type: 'SECURITY_DISABLED' });
  });

  it('carries Kafka\'s messages', async () => {
    const c = await RawClient.connect(broker.host, broker.port);
    try {
      expect(await c.request(DescribeAclsApi, 3, { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 }))
        .toMatchObject({ errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured on the broker', resources: [] });
      expect((await c.request(CreateAclsApi, 3, { creations: [{ resourceType: 2, resourceName: 't', resourcePatternType: 3, principal: 'User:a', host: '*', operation: 3, permissionType: 3 }] })).results)
        .toEqual([{ errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured.' }]);
      expect((await c.request(DeleteAclsApi, 3, { filters: [{ resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 }] })).filterResults)
        .toEqual([{ errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured.', matchingAcls: [] }]);
    } finally {
      c.close();
    }
  });
});

describe('ACL admin calls under the authorizer', () => {
  let broker: AclBroker;
  let admin: Admin;
  const fs = new MemoryFileSystem();
  beforeAll(async () => {
    broker = await aclBroker({ fs });
    admin = broker.kafkajs('admin').admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.disconnect();
    await broker?.close();
  });

  const anyFilter = {
    resourceType: AclResourceTypes.ANY,
    resourcePatternType: ResourcePatternTypes.ANY,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  };
  const literal = binding({});
  const prefixed = binding({ resourceName: 'ord', resourcePatternType: ResourcePatternTypes.PREFIXED, operation: AclOperationTypes.WRITE });
  const wildcard = binding({ resourceName: '*', principal: 'User:bob', permissionType: AclPermissionTypes.DENY });
  const group = binding({ resourceType: AclResourceTypes.GROUP, resourceName: 'g1' });
  const names = (r: { resources: { resourceName: string; resourcePatternType: number }[] }) =>
    r.resources.map((x) => `${x.resourceName}/${x.resourcePatternType}`).sort();

  it('creates (a duplicate once), describes with ANY, MATCH, LITERAL and PREFIXED filters, deletes what a filter matches', async () => {
    await admin.createAcls({ acl: [literal, prefixed, wildcard, group, literal] });
    const everything = await admin.describeAcls(anyFilter);
    expect(everything.resources.flatMap((r) => r.acls)).toHaveLength(4);
    expect(names(await admin.describeAcls({ ...anyFilter, resourceType: AclResourceTypes.TOPIC, resourceName: 'orders', resourcePatternType: ResourcePatternTypes.MATCH })))
      .toEqual(['*/3', 'ord/4', 'orders/3']);
    expect(names(await admin.describeAcls({ ...anyFilter, resourceName: 'orders' }))).toEqual(['orders/3']);
    expect(names(await admin.describeAcls({ ...anyFilter, resourceName: 'ord', resourcePatternType: ResourcePatternTypes.PREFIXED }))).toEqual(['ord/4']);
    expect(names(await admin.describeAcls({ ...anyFilter, principal: 'User:bob' }))).toEqual(['*/3']);
    const topicOrders = await admin.describeAcls({ ...anyFilter, resourceType: AclResourceTypes.TOPIC, resourceName: 'orders', resourcePatternType: ResourcePatternTypes.LITERAL });
    expect(topicOrders.resources).toEqual([{ resourceType: AclResourceTypes.TOPIC, resourceName: 'orders', resourcePatternType: ResourcePatternTypes.LITERAL,
      acls: [{ principal: 'User:alice', host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW }] }]);

    const deleted = await admin.deleteAcls({ filters: [{ ...anyFilter, resourceType: AclResourceTypes.TOPIC, resourceName: 'orders', resourcePatternType: ResourcePatternTypes.MATCH, permissionType: AclPermissionTypes.ALLOW }] });
    expect(deleted.filterResponses[0]!.matchingAcls.map((m) => m.resourceName).sort()).toEqual(['ord', 'orders']);
    expect(names(await admin.describeAcls(anyFilter))).toEqual(['*/3', 'g1/3']);
  });

  it('keeps the ACLs across a restart', async () => {
    await broker.close();
    broker = await aclBroker({ fs });
    await admin.disconnect();
    admin = broker.kafkajs('admin').admin();
    await admin.connect();
    expect(names(await admin.describeAcls(anyFilter))).toEqual(['*/3', 'g1/3']);
  });

  it('refuses principals without ALTER / DESCRIBE on the cluster, and lets them in once granted', async () => {
    const alice = broker.kafkajs('alice').admin();
    await alice.connect();
    try {
      await expect(alice.createAcls({ acl: [literal] })).rejects.toMatchObject({ type: 'CLUSTER_AUTHORIZATION_FAILED' });
      await expect(alice.describeAcls(anyFilter)).rejects.toMatchObject({ type: 'CLUSTER_AUTHORIZATION_FAILED' });
      await expect(alice.deleteAcls({ filters: [anyFilter] })).rejects.toMatchObject({ type: 'CLUSTER_AUTHORIZATION_FAILED' });
      await admin.createAcls({ acl: [binding({ resourceType: AclResourceTypes.CLUSTER, resourceName: 'kafka-cluster', operation: AclOperationTypes.DESCRIBE })] });
      expect(names(await alice.describeAcls(anyFilter))).toContain('kafka-cluster/3');
      await expect(alice.createAcls({ acl: [literal] })).rejects.toMatchObject({ type: 'CLUSTER_AUTHORIZATION_FAILED' });
    } finally {
      await alice.disconnect();
    }
  });

  it('answers each creation as Kafka validates it, over the raw protocol', async () => {
    const c = await RawClient.connect('127.0.0.1', broker.port);
    const creation = { resourceType: 2, resourceName: 't', resourcePatternType: 3, principal: 'User:a', host: '*', operation: 3, permissionType: 3 };
    try {
      // PLAINTEXT is User:ANONYMOUS, which may not alter the cluster.
      expect((await c.request(CreateAclsApi, 3, { creations: [creation] })).results).toEqual([{ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null }]);
      await admin.createAcls({ acl: [binding({ resourceType: AclResourceTypes.CLUSTER, resourceName: 'kafka-cluster', principal: 'User:ANONYMOUS', operation: AclOperationTypes.ALTER })] });
      expect((await c.request(CreateAclsApi, 3, { creations: [
        creation,
        { ...creation, resourceType: 4, resourceName: 'cluster' },
        { ...creation, resourceName: '' },
        { ...creation, principal: 'alice' },
      ] })).results).toEqual([
        { errorCode: ErrorCode.NONE, errorMessage: null },
        { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'The only valid name for the CLUSTER resource is kafka-cluster' },
        { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Invalid empty resource name' },
        { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'expected a string in format principalType:principalName but got alice' },
      ]);
      // A filter-only code cannot become a binding: the whole request fails.
      expect((await c.request(CreateAclsApi, 3, { creations: [creation, { ...creation, resourcePatternType: 2 }] })).results)
        .toEqual([{ errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: null }, { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: null }]);
      // ALTER implies DESCRIBE on the cluster.
      const described = await c.request(DescribeAclsApi, 3, { resourceTypeFilter: 2, resourceNameFilter: 't', patternTypeFilter: 3, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 });
      expect(described).toMatchObject({ errorCode: ErrorCode.NONE, resources: [{ resourceType: 2, resourceName: 't', patternType: 3, acls: [{ principal: 'User:a', host: '*', operation: 3, permissionType: 3 }] }] });
    } finally {
      c.close();
    }
  });

  it('closes the connection on an UNKNOWN code, as Kafka fails to parse it', async () => {
    const c = await RawClient.connect('127.0.0.1', broker.port);
    try {
      await expect(c.request(CreateAclsApi, 3, { creations: [{ resourceType: 0, resourceName: 't', resourcePatternType: 3, principal: 'User:a', host: '*', operation: 3, permissionType: 3 }] })).rejects.toThrow();
    } finally {
      c.close();
    }
  });
});
