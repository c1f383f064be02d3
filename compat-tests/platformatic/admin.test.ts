// @platformatic/kafka's admin client (it negotiates flexible versions) against
// the broker over real TCP.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Admin } from '@platformatic/kafka';
import { testBroker, uniqueTopic, type TestBroker } from '../support/broker.js';

describe('@platformatic/kafka admin', () => {
  let broker: TestBroker;
  let admin: Admin;

  beforeAll(async () => {
    broker = await testBroker();
    admin = new Admin({ clientId: 'compat-platformatic', bootstrapBrokers: [broker.bootstrap], retries: 1 });
  });

  afterAll(async () => {
    await admin?.close();
    await broker?.close();
  });

  it('creates, lists, describes and deletes topics', async () => {
    const a = uniqueTopic('pl-a');
    const created = await admin.createTopics({ topics: [a], partitions: 4, replicas: 1 });
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ name: a, partitions: 4, replicas: 1 });
    expect(created[0].id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created[0].configuration['cleanup.policy']).toBe('delete');

    expect(await admin.listTopics()).toContain(a);

    const meta = await admin.metadata({ topics: [a] });
    expect(meta.brokers.size).toBe(1);
    expect(meta.controllerId).toBe([...meta.brokers.keys()][0]);
    const topic = meta.topics.get(a);
    expect(topic?.partitionsCount).toBe(4);
    expect(topic?.id).toBe(created[0].id);

    await admin.deleteTopics({ topics: [a] });
    expect(await admin.listTopics()).not.toContain(a);
  });

  it('reports TOPIC_ALREADY_EXISTS for a second create', async () => {
    const t = uniqueTopic('pl-dup');
    await admin.createTopics({ topics: [t], partitions: 1, replicas: 1 });
    await expect(admin.createTopics({ topics: [t], partitions: 1, replicas: 1 })).rejects.toMatchObject({
      errors: [expect.objectContaining({ apiId: 'TOPIC_ALREADY_EXISTS', apiCode: 36 })],
    });
  });
});
