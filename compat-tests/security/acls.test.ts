// Issue 11: without an authorizer, kafkajs's ACL admin calls get SECURITY_DISABLED
// with Kafka's messages (they used to fail on an unsupported API version).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes, type Admin } from 'kafkajs';
import { testBroker, type TestBroker } from '../support/broker.js';
import { RawClient } from '../../test/support/raw-client.js';
import { DescribeAclsApi } from '../../protocol/messages/29-describe-acls.js';
import { CreateAclsApi } from '../../protocol/messages/30-create-acls.js';
import { DeleteAclsApi } from '../../protocol/messages/31-delete-acls.js';
import { ErrorCode } from '../../protocol/errors.js';

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

  const acl = {
    resourceType: AclResourceTypes.TOPIC,
    resourceName: 'orders',
    resourcePatternType: ResourcePatternTypes.LITERAL,
    principal: 'User:alice',
    host: '*',
    operation: AclOperationTypes.READ,
    permissionType: AclPermissionTypes.ALLOW,
  };

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
