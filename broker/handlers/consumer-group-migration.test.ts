// Online migration between classic and consumer groups over real TCP, frame by
// frame (RawClient): a classic member's JoinGroup/SyncGroup/Heartbeat answered by
// the consumer group it was upgraded into, a broker restart in the middle of
// each conversion keeping the group, and group.consumer.migration.policy
// refusing the upgrade with Kafka's GROUP_ID_NOT_FOUND.
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../broker.js';
import { RawClient } from '../../test/support/raw-client.js';
import { ErrorCode } from '../../protocol/errors.js';
import { JoinGroupApi, type JoinGroupResponse } from '../../protocol/messages/11-join-group.js';
import { HeartbeatApi } from '../../protocol/messages/12-heartbeat.js';
import { SyncGroupApi } from '../../protocol/messages/14-sync-group.js';
import { ConsumerGroupHeartbeatApi } from '../../protocol/messages/68-consumer-group-heartbeat.js';
import { readAssignment, writeAssignment } from '../groups/consumer-protocol-bytes.js';
import { MemoryFileSystem } from '../../storage/fs-memory.js';
import { consumerHeartbeat, subscription } from '../groups/testing.js';

const CONFIG = { 'group.initial.rebalance.delay.ms': '0', 'group.min.session.timeout.ms': '500' };


const clients: RawClient[] = [];
const brokers: RunningBroker[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const b of brokers.splice(0)) await b.close();
});

async function open(b: RunningBroker): Promise<RawClient> {
  const c = await RawClient.connect(b.host, b.port);
  clients.push(c);
  return c;
}

/** A classic "consumer" member speaking JoinGroup/SyncGroup/Heartbeat v5 with a real subscription. */
class ClassicMember {
  id = '';
  generation = -1;

  constructor(
    private c: RawClient,
    private readonly groupId: string,
    private readonly topic: string,
  ) {}

  reconnect(c: RawClient): void {
    this.c = c;
  }

  async join(): Promise<JoinGroupResponse> {
    const res = await this.c.request(JoinGroupApi, 5, {
      groupId: this.groupId,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      memberId: this.id,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: subscription([this.topic]) }],
    });
    if (res.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
      this.id = res.memberId;
      return this.join();
    }
    if (res.errorCode === ErrorCode.NONE) {
      this.id = res.memberId;
      this.generation = res.generationId;
    }
    return res;
  }

  async sync(assignment?: number[]): Promise<{ errorCode: number; partitions: number[] }> {
    const res = await this.c.request(SyncGroupApi, 5, {
      groupId: this.groupId,
      generationId: this.generation,
      memberId: this.id,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: assignment === undefined ? [] : [{ memberId: this.id, assignment: Buffer.from(writeAssignment([{ topic: this.topic, partitions: assignment }], 0)) }],
    });
    return { errorCode: res.errorCode, partitions: readAssignment(res.assignment)?.get(this.topic) ?? [] };
  }

  async heartbeat(): Promise<number> {
    const res = await this.c.request(HeartbeatApi, 3, { groupId: this.groupId, generationId: this.generation, memberId: this.id, groupInstanceId: null });
    return res.errorCode;
  }
}

function consumerJoin(groupId: string, memberId: string, memberEpoch: number) {
  return consumerHeartbeat(groupId, memberId, memberEpoch, { subscribedTopicNames: ['t'], rebalanceTimeoutMs: 10_000, topicPartitions: [] });
}

describe('online migration between classic and consumer groups over TCP', () => {
  it('upgrade and downgrade survive a broker restart in the middle; the classic member is served by the consumer group', async () => {
    const fs = new MemoryFileSystem();
    let broker = await startBroker({ fs, dataDir: '/data', config: CONFIG });
    brokers.push(broker);
    const port = broker.port;
    await broker.cluster.createTopic(broker.cluster.newTopic('t', 2));
    const topicId = broker.cluster.topic('t')!.id;
    let c = await open(broker);
    const k = new ClassicMember(c, 'g', 't');
    expect((await k.join()).leader).toBe(k.id);
    expect((await k.sync([0, 1])).partitions).toEqual([0, 1]);
    expect(broker.groups.listGroups()).toEqual([{ groupId: 'g', protocolType: 'consumer', groupState: 'Stable', groupType: 'classic' }]);

    // The upgrade: m joins with epoch generation + 1 and nothing yet (k owns both partitions).
    const m1 = await c.request(ConsumerGroupHeartbeatApi, 1, consumerJoin('g', 'm', 0));
    expect(m1).toMatchObject({ errorCode: 0, memberEpoch: k.generation + 1, assignment: { topicPartitions: [] } });
    const before = broker.groups.describeConsumerGroups(['g'])[0];
    expect(before).toMatchObject({ groupState: 'Reconciling', groupEpoch: k.generation + 1 });

    await broker.close();
    brokers.length = 0;
    broker = await startBroker({ fs, dataDir: '/data', port, config: CONFIG });
    brokers.push(broker);
    expect(broker.groups.describeConsumerGroups(['g'])[0]).toEqual(before);
    c = await open(broker);
    k.reconnect(c);

    // k is a classic member of a consumer group now: told to rejoin, answered at once, given what it keeps.
    expect(await k.heartbeat()).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoined = await k.join();
    expect(rejoined).toMatchObject({ errorCode: 0, generationId: m1.memberEpoch, leader: '', protocolName: 'range', members: [] });
    const kept = await k.sync();
    expect(kept.partitions.length).toBe(1);
    expect(await k.heartbeat()).toBe(ErrorCode.NONE);
    const m2 = await c.request(ConsumerGroupHeartbeatApi, 1, consumerJoin('g', 'm', m1.memberEpoch));
    expect(m2.assignment!.topicPartitions).toEqual([{ topicId, partitions: [0, 1].filter((p) => !kept.partitions.includes(p)) }]);
    expect(broker.groups.describeConsumerGroups(['g'])[0]).toMatchObject({ groupState: 'Stable' });

    // The downgrade: m leaves; the group is classic again (its record written), k must rejoin.
    expect(await c.request(ConsumerGroupHeartbeatApi, 1, consumerJoin('g', 'm', -1))).toMatchObject({ errorCode: 0, memberEpoch: -1 });
    expect(broker.groups.listGroups()).toEqual([{ groupId: 'g', protocolType: 'consumer', groupState: 'PreparingRebalance', groupType: 'classic' }]);
    await broker.close();
    brokers.length = 0;
    broker = await startBroker({ fs, dataDir: '/data', port, config: CONFIG });
    brokers.push(broker);
    expect(broker.groups.groupSnapshot('g')).toMatchObject({ state: 'Stable', protocolType: 'consumer', protocolName: 'range', generationId: m1.memberEpoch });
    expect(broker.groups.groupSnapshot('g')!.members.map((x) => x.memberId)).toEqual([k.id]);
    k.reconnect(await open(broker));
    expect(await k.heartbeat()).toBe(ErrorCode.NONE);
  });

  it('group.consumer.migration.policy=DISABLED (any case, as Kafka) answers GROUP_ID_NOT_FOUND to a consumer-protocol join of a classic group', async () => {
    const broker = await startBroker({ memory: true, config: { ...CONFIG, 'group.consumer.migration.policy': 'DISABLED' } });
    brokers.push(broker);
    await broker.cluster.createTopic(broker.cluster.newTopic('t', 2));
    const c = await open(broker);
    const k = new ClassicMember(c, 'g', 't');
    await k.join();
    await k.sync([0, 1]);
    const res = await c.request(ConsumerGroupHeartbeatApi, 1, consumerJoin('g', 'm', 0));
    expect(res).toMatchObject({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: 'Group g is not a consumer group.' });
    expect(await k.heartbeat()).toBe(ErrorCode.NONE);
    expect(broker.groups.listGroups()[0].groupType).toBe('classic');
  });
});
