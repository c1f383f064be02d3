// Issue 11: the authorizer over the wire with unmodified clients (kafkajs and
// @platformatic/kafka over SASL_PLAINTEXT with PLAIN users). A matrix of
// principal x operation x resource: literal, prefixed and `*` ACLs, DENY over
// ALLOW, super users, allow.everyone.if.no.acl.found, Metadata hiding topics,
// consumer groups, and ListGroups filtering.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes, type Admin } from 'kafkajs';
import { Admin as PlatformaticAdmin, Producer as PlatformaticProducer, stringSerializers } from '@platformatic/kafka';
import { aclBroker, ACL_USERS, type AclBroker, type AclUser } from '../support/acl-broker.js';
import { RawClient } from '../../test/support/raw-client.js';
import { MetadataApi } from '../../protocol/messages/03-metadata.js';
import { DescribeGroupsApi } from '../../protocol/messages/15-describe-groups.js';
import { ErrorCode } from '../../protocol/errors.js';

type Grant = {
  principal: string;
  resourceType: AclResourceTypes;
  resourceName: string;
  operation: AclOperationTypes;
  pattern?: ResourcePatternTypes;
  permission?: AclPermissionTypes;
};

async function grant(admin: Admin, grants: Grant[]): Promise<void> {
  await admin.createAcls({
    acl: grants.map((g) => ({
      resourceType: g.resourceType,
      resourceName: g.resourceName,
      resourcePatternType: g.pattern ?? ResourcePatternTypes.LITERAL,
      principal: g.principal,
      host: '*',
      operation: g.operation,
      permissionType: g.permission ?? AclPermissionTypes.ALLOW,
    })),
  });
}

/** What a produce of one record ends in: 'ok' or the Kafka error type kafkajs reports. */
async function produceAs(broker: AclBroker, user: AclUser, topic: string): Promise<string> {
  const producer = broker.kafkajs(user).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, messages: [{ value: 'v' }], acks: -1 });
    return 'ok';
  } catch (e) {
    const err = e as { type?: string; cause?: { type?: string } };
    return err.type ?? err.cause?.type ?? String(e);
  } finally {
    await producer.disconnect();
  }
}

describe('the authorizer, with kafkajs', () => {
  let broker: AclBroker;
  let admin: Admin;
  beforeAll(async () => {
    broker = await aclBroker();
    admin = broker.kafkajs('admin').admin();
    await admin.connect();
    await admin.createTopics({ topics: ['orders-eu', 'orders-us', 'orders-locked', 'payments', 'public'].map((topic) => ({ topic, numPartitions: 1 })) });
    await grant(admin, [
      { principal: 'User:alice', resourceType: AclResourceTypes.TOPIC, resourceName: 'orders-', pattern: ResourcePatternTypes.PREFIXED, operation: AclOperationTypes.ALL },
      { principal: 'User:alice', resourceType: AclResourceTypes.TOPIC, resourceName: 'orders-locked', operation: AclOperationTypes.WRITE, permission: AclPermissionTypes.DENY },
      { principal: 'User:*', resourceType: AclResourceTypes.TOPIC, resourceName: 'public', operation: AclOperationTypes.READ },
      { principal: 'User:alice', resourceType: AclResourceTypes.GROUP, resourceName: 'alice-', pattern: ResourcePatternTypes.PREFIXED, operation: AclOperationTypes.READ },
      { principal: 'User:bob', resourceType: AclResourceTypes.TOPIC, resourceName: '*', operation: AclOperationTypes.DESCRIBE },
    ]);
  });
  afterAll(async () => {
    await admin?.disconnect();
    await broker?.close();
  });

  // [user, topic, expected outcome of producing one record]
  const PRODUCE: [AclUser, string, string][] = [
    ['admin', 'payments', 'ok'], // super user, no ACL needed
    ['alice', 'orders-eu', 'ok'], // prefixed ALL
    ['alice', 'orders-locked', 'TOPIC_AUTHORIZATION_FAILED'], // literal DENY beats prefixed ALLOW
    ['alice', 'payments', 'TOPIC_AUTHORIZATION_FAILED'], // no ACL: default deny
    ['alice', 'public', 'TOPIC_AUTHORIZATION_FAILED'], // READ does not allow WRITE
    ['bob', 'orders-eu', 'TOPIC_AUTHORIZATION_FAILED'], // DESCRIBE on `*` does not allow WRITE
  ];
  for (const [user, topic, expected] of PRODUCE) {
    it(`${user} producing to ${topic}: ${expected}`, async () => {
      expect(await produceAs(broker, user, topic)).toBe(expected);
    });
  }

  it('Metadata lists only the topics a principal may DESCRIBE (implied by READ, WRITE, ALL)', async () => {
    const list = async (user: AclUser) => {
      const a = broker.kafkajs(user).admin();
      await a.connect();
      try {
        return (await a.listTopics()).sort();
      } finally {
        await a.disconnect();
      }
    };
    expect(await list('alice')).toEqual(['orders-eu', 'orders-locked', 'orders-us', 'public']);
    expect(await list('bob')).toEqual(expect.arrayContaining(['orders-eu', 'payments', 'public']));
    expect(await list('admin')).toEqual(expect.arrayContaining(['orders-eu', 'payments', 'public']));
  });

  it('a named topic without DESCRIBE is TOPIC_AUTHORIZATION_FAILED whether it exists or not; auto-creation needs CREATE', async () => {
    const raw = await RawClient.connect('127.0.0.1', broker.port); // PLAINTEXT: User:ANONYMOUS, no ACLs
    try {
      const res = await raw.request(MetadataApi, 12, { topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: 'payments' }, { topicId: '00000000-0000-0000-0000-000000000000', name: 'no-such-topic' }, { topicId: '00000000-0000-0000-0000-000000000000', name: 'public' }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: true });
      expect(res.topics.map((t) => [t.name, t.errorCode, t.topicId])).toEqual([
        ['payments', ErrorCode.TOPIC_AUTHORIZATION_FAILED, '00000000-0000-0000-0000-000000000000'],
        ['no-such-topic', ErrorCode.TOPIC_AUTHORIZATION_FAILED, '00000000-0000-0000-0000-000000000000'],
        ['public', ErrorCode.NONE, expect.not.stringMatching(/^0{8}-/)],
      ]);
      // READ and the DESCRIBE it implies: bits 3 and 8.
      expect(res.topics[2]!.topicAuthorizedOperations).toBe((1 << 3) | (1 << 8));
    } finally {
      raw.close();
    }
    await grant(admin, [{ principal: 'User:ANONYMOUS', resourceType: AclResourceTypes.TOPIC, resourceName: 'auto-', pattern: ResourcePatternTypes.PREFIXED, operation: AclOperationTypes.DESCRIBE }]);
    const again = await RawClient.connect('127.0.0.1', broker.port);
    try {
      const req = (name: string) => again.request(MetadataApi, 12, { topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
      expect((await req('auto-1')).topics[0]!.errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      expect(broker.cluster.topic('auto-1')).toBeUndefined();
      await grant(admin, [{ principal: 'User:ANONYMOUS', resourceType: AclResourceTypes.TOPIC, resourceName: 'auto-', pattern: ResourcePatternTypes.PREFIXED, operation: AclOperationTypes.CREATE }]);
      expect((await req('auto-1')).topics[0]!.errorCode).toBe(ErrorCode.NONE);
      expect(broker.cluster.topic('auto-1')).toBeDefined();
    } finally {
      again.close();
    }
  });

  it('a consumer needs READ on its group and on the topic', async () => {
    await produceAs(broker, 'admin', 'orders-us');
    const consume = async (user: AclUser, groupId: string) => {
      const consumer = broker.kafkajs(user).consumer({ groupId, maxWaitTimeInMs: 50 });
      await consumer.connect();
      try {
        await consumer.subscribe({ topic: 'orders-us', fromBeginning: true });
        return await new Promise<string>((resolve) => {
          consumer.on(consumer.events.CRASH, (e) => resolve((e.payload.error as { type?: string }).type ?? e.payload.error.message));
          void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) }).catch((e: { type?: string }) => resolve(e.type ?? String(e)));
        });
      } finally {
        await consumer.disconnect();
      }
    };
    expect(await consume('alice', 'alice-1')).toBe('v');
    // kafkajs reports a refused FindCoordinator as not finding the coordinator, as against Kafka.
    expect(await consume('alice', 'bobs-group')).toBe('Failed to find group coordinator');
    // kafkajs asks FindCoordinator below v4: one key, one error code.
    const answers = broker.requests.entries('FindCoordinator').filter((e) => (e.request as { key: string }).key === 'bobs-group');
    expect(answers.map((e) => (e.response as { errorCode: number }).errorCode)).toContain(ErrorCode.GROUP_AUTHORIZATION_FAILED);
  });

  it('an idempotent producer needs WRITE on some topic (or IDEMPOTENT_WRITE); a transactional one WRITE on its id', async () => {
    const idempotent = async (user: AclUser, topic: string) => {
      const producer = broker.kafkajs(user).producer({ idempotent: true, allowAutoTopicCreation: false, retry: { retries: 1 } });
      try {
        await producer.connect();
        await producer.send({ topic, messages: [{ value: 'i' }] });
        return 'ok';
      } catch (e) {
        return (e as { type?: string }).type ?? String(e);
      } finally {
        await producer.disconnect();
      }
    };
    expect(await idempotent('alice', 'orders-eu')).toBe('ok');
    expect(await idempotent('bob', 'orders-eu')).toBe('CLUSTER_AUTHORIZATION_FAILED');

    const transactional = async () => {
      const producer = broker.kafkajs('alice').producer({ transactionalId: 'tx-alice', idempotent: true, maxInFlightRequests: 1, retry: { retries: 1 } });
      try {
        await producer.connect();
        const txn = await producer.transaction();
        await txn.send({ topic: 'orders-eu', messages: [{ value: 't' }] });
        await txn.commit();
        return 'ok';
      } catch (e) {
        return (e as { type?: string }).type ?? (e as Error).message;
      } finally {
        await producer.disconnect();
      }
    };
    // Without DESCRIBE on the id, FindCoordinator refuses it and kafkajs finds no coordinator.
    expect(await transactional()).toMatch(/coordinator|TRANSACTIONAL_ID_AUTHORIZATION_FAILED/);
    await grant(admin, [{ principal: 'User:alice', resourceType: AclResourceTypes.TRANSACTIONAL_ID, resourceName: 'tx-', pattern: ResourcePatternTypes.PREFIXED, operation: AclOperationTypes.WRITE }]);
    expect(await transactional()).toBe('ok');
  });

  it('admin topic and config APIs check CREATE, DELETE, ALTER and DESCRIBE_CONFIGS', async () => {
    const bob = broker.kafkajs('bob').admin();
    await bob.connect();
    const outcome = (p: Promise<unknown>) => p.then(() => 'ok', (e: { type?: string; errors?: { type?: string }[] }) => e.type ?? e.errors?.[0]?.type ?? String(e));
    try {
      expect(await outcome(bob.createTopics({ topics: [{ topic: 'bobs-topic' }] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
      expect(await outcome(bob.deleteTopics({ topics: ['payments'] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
      expect(await outcome(bob.createPartitions({ topicPartitions: [{ topic: 'payments', count: 2 }] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
      expect(await outcome(bob.describeConfigs({ resources: [{ type: 2, name: 'payments' }], includeSynonyms: false }))).toBe('TOPIC_AUTHORIZATION_FAILED');
      await grant(admin, [
        { principal: 'User:bob', resourceType: AclResourceTypes.CLUSTER, resourceName: 'kafka-cluster', operation: AclOperationTypes.CREATE },
        { principal: 'User:bob', resourceType: AclResourceTypes.TOPIC, resourceName: 'payments', operation: AclOperationTypes.ALTER_CONFIGS },
      ]);
      expect(await outcome(bob.createTopics({ topics: [{ topic: 'bobs-topic' }] }))).toBe('ok');
      expect(broker.cluster.topic('bobs-topic')).toBeDefined();
      // ALTER_CONFIGS implies DESCRIBE_CONFIGS.
      expect(await outcome(bob.describeConfigs({ resources: [{ type: 2, name: 'payments' }], includeSynonyms: false }))).toBe('ok');
    } finally {
      await bob.disconnect();
    }
  });

  it('client quotas need DESCRIBE_CONFIGS and ALTER_CONFIGS on the cluster (@platformatic/kafka admin)', async () => {
    const pk = (user: AclUser) =>
      new PlatformaticAdmin({ clientId: `pk-${user}`, bootstrapBrokers: [`127.0.0.1:${broker.saslPort}`], retries: 0, sasl: { mechanism: 'PLAIN' as const, username: user, password: ACL_USERS[user] } });
    const entries = [{ entities: [{ entityType: 'user' as const, entityName: 'bob' }], ops: [{ key: 'producer_byte_rate' as const, value: 4096, remove: false }] }];
    const bob = pk('bob');
    const root = pk('admin');
    try {
      const refused = await bob.alterClientQuotas({ entries }).then(() => 'ok', (e: unknown) => apiIdIn(e) ?? String(e));
      expect(refused).toBe('CLUSTER_AUTHORIZATION_FAILED');
      const describeRefused = await bob.describeClientQuotas({ components: [], strict: false }).then(() => 'ok', (e: unknown) => apiIdIn(e) ?? String(e));
      expect(describeRefused).toBe('CLUSTER_AUTHORIZATION_FAILED');
      // The refused alteration changed nothing.
      expect((await root.describeClientQuotas({ components: [], strict: false })).length).toBe(0);
      await grant(admin, [{ principal: 'User:bob', resourceType: AclResourceTypes.CLUSTER, resourceName: 'kafka-cluster', operation: AclOperationTypes.ALTER_CONFIGS }]);
      expect((await bob.alterClientQuotas({ entries })).map((e) => e.errorCode)).toEqual([0]);
      // ALTER_CONFIGS implies DESCRIBE_CONFIGS.
      expect((await bob.describeClientQuotas({ components: [], strict: false })).length).toBe(1);
    } finally {
      await bob.close();
      await root.close();
    }
  });

  it('ListGroups shows only the groups a principal may DESCRIBE; DescribeGroups refuses the others', async () => {
    const consumer = broker.kafkajs('admin').consumer({ groupId: 'zeta' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'payments' });
    await consumer.run({ eachMessage: async () => undefined });
    await broker.waitForGroupState('zeta', 'Stable');
    try {
      const alice = broker.kafkajs('alice').admin();
      await alice.connect();
      try {
        const ids = (await alice.listGroups()).groups.map((g) => g.groupId);
        expect(ids).not.toContain('zeta');
        expect(ids).toContain('alice-1');
        expect(await alice.describeGroups(['alice-1'])).toMatchObject({ groups: [{ groupId: 'alice-1', errorCode: 0 }] });
      } finally {
        await alice.disconnect();
      }
      expect((await admin.listGroups()).groups.map((g) => g.groupId)).toEqual(expect.arrayContaining(['zeta', 'alice-1']));
      const raw = await RawClient.connect('127.0.0.1', broker.port); // User:ANONYMOUS
      try {
        expect((await raw.request(DescribeGroupsApi, 5, { groups: ['zeta'], includeAuthorizedOperations: true })).groups)
          .toEqual([expect.objectContaining({ groupId: 'zeta', errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, groupState: '', members: [] })]);
      } finally {
        raw.close();
      }
    } finally {
      await consumer.disconnect();
    }
  });
});

/** The first Kafka error name in a @platformatic/kafka error tree (AggregateErrors of response errors). */
function apiIdIn(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const o = e as { apiId?: string; errors?: unknown[]; cause?: unknown };
  if (typeof o.apiId === 'string') return o.apiId;
  for (const inner of [...(o.errors ?? []), o.cause]) {
    const found = apiIdIn(inner);
    if (found !== undefined) return found;
  }
  return undefined;
}

describe('the authorizer, with @platformatic/kafka', () => {
  let broker: AclBroker;
  const options = (user: AclUser) => ({
    clientId: `pk-${user}`,
    bootstrapBrokers: [`127.0.0.1:${broker.saslPort}`],
    retries: 0,
    sasl: { mechanism: 'PLAIN' as const, username: user, password: ACL_USERS[user] },
  });
  beforeAll(async () => {
    broker = await aclBroker({ config: { 'allow.everyone.if.no.acl.found': 'true' } });
    const admin = broker.kafkajs('admin').admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'open' }, { topic: 'guarded' }] });
    await grant(admin, [{ principal: 'User:bob', resourceType: AclResourceTypes.TOPIC, resourceName: 'guarded', operation: AclOperationTypes.WRITE }]);
    await admin.disconnect();
  });
  afterAll(async () => {
    await broker?.close();
  });

  async function produce(user: AclUser, topic: string): Promise<string> {
    const producer = new PlatformaticProducer({ ...options(user), serializers: stringSerializers });
    try {
      await producer.send({ messages: [{ topic, value: 'x' }] });
      return 'ok';
    } catch (e) {
      return apiIdIn(e) ?? String(e);
    } finally {
      await producer.close();
    }
  }

  it('allow.everyone.if.no.acl.found opens only the resources without any ACL', async () => {
    expect(await produce('alice', 'open')).toBe('ok');
    expect(await produce('bob', 'guarded')).toBe('ok');
    expect(await produce('alice', 'guarded')).toBe('TOPIC_AUTHORIZATION_FAILED');
  });

  it('Metadata hides the topics with ACLs that do not allow the principal to DESCRIBE', async () => {
    const admin = new PlatformaticAdmin(options('alice'));
    try {
      const topics = await admin.listTopics();
      expect(topics).toContain('open');
      expect(topics).not.toContain('guarded');
    } finally {
      await admin.close();
    }
  });
});
