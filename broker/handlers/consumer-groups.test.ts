// Consumer groups (KIP-848) over real TCP, frame by frame (RawClient): what no
// client library exercises — versions advertised, Kafka's errors for bad
// heartbeats, regex subscriptions picking up a new topic, a static member's
// temporary leave and return without movement, ConsumerGroupDescribe, the
// classic APIs' answers for consumer groups and the reverse, member epochs on
// OffsetCommit/OffsetFetch v9, and the protocol switched off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../broker.js';
import { RawClient } from '../../test/support/raw-client.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ApiVersionsApi } from '../../protocol/messages/18-api-versions.js';
import { ConsumerGroupHeartbeatApi, type ConsumerGroupHeartbeatRequest } from '../../protocol/messages/68-consumer-group-heartbeat.js';
import { ConsumerGroupDescribeApi } from '../../protocol/messages/69-consumer-group-describe.js';
import { JoinGroupApi } from '../../protocol/messages/11-join-group.js';
import { ListGroupsApi } from '../../protocol/messages/16-list-groups.js';
import { DescribeGroupsApi } from '../../protocol/messages/15-describe-groups.js';
import { OffsetCommitApi } from '../../protocol/messages/08-offset-commit.js';
import { OffsetFetchApi } from '../../protocol/messages/09-offset-fetch.js';
import type { EncodeInput } from '../../protocol/codec-runtime.js';

let uniq = 0;
const groupName = (p: string) => `${p}-${++uniq}`;

describe('consumer group protocol (KIP-848) over TCP', () => {
  let broker: RunningBroker;
  const clients: RawClient[] = [];
  const client = async (b = broker) => {
    const c = await RawClient.connect(b.host, b.port);
    clients.push(c);
    return c;
  };
  const classicJoin = (c: RawClient, groupId: string, memberId: string, protocolType = 'connect') =>
    c.request(JoinGroupApi, 9, {
      groupId,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      memberId,
      protocolType,
      protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
    });
  const join = (groupId: string, memberId: string, over: Partial<EncodeInput<ConsumerGroupHeartbeatRequest>> = {}) => ({
    groupId,
    memberId,
    memberEpoch: 0,
    rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: ['t'],
    topicPartitions: [],
    ...over,
  });

  beforeAll(async () => {
    broker = await startBroker({ memory: true, config: { 'group.initial.rebalance.delay.ms': '0' } });
    await broker.cluster.createTopic(broker.cluster.newTopic('t', 4));
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await broker?.close();
  });

  it('ApiVersions advertises ConsumerGroupHeartbeat 0-1 and ConsumerGroupDescribe 0', async () => {
    const c = await client();
    const res = await c.request(ApiVersionsApi, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    const byKey = new Map(res.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
    expect(byKey.get(68)).toEqual([0, 1]);
    expect(byKey.get(69)).toEqual([0, 0]);
  });

  it('a first heartbeat gets epoch 1, the interval and topic ids that Metadata knows; bad ones get Kafka errors', async () => {
    const c = await client();
    const g = groupName('first');
    const res = await c.request(ConsumerGroupHeartbeatApi, 1, join(g, 'm1'));
    expect(res).toMatchObject({ errorCode: 0, memberId: 'm1', memberEpoch: 1, heartbeatIntervalMs: 5000 });
    expect(res.assignment!.topicPartitions).toEqual([{ topicId: broker.cluster.topic('t')!.id, partitions: [0, 1, 2, 3] }]);

    const bad = await c.request(ConsumerGroupHeartbeatApi, 1, join(g, 'm2', { topicPartitions: null }));
    expect(bad).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'TopicPartitions must be empty when (re-)joining.', heartbeatIntervalMs: 0 });
    expect((await c.request(ConsumerGroupHeartbeatApi, 1, join(g, '')))).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "MemberId can't be empty." });
    expect((await c.request(ConsumerGroupHeartbeatApi, 1, join(g, 'm3', { serverAssignor: 'sticky' }))).errorCode).toBe(ErrorCode.UNSUPPORTED_ASSIGNOR);
    expect((await c.request(ConsumerGroupHeartbeatApi, 1, join(g, 'm3', { subscribedTopicNames: null, subscribedTopicRegex: '[' }))).errorCode).toBe(
      ErrorCode.INVALID_REGULAR_EXPRESSION,
    );
    expect((await c.request(ConsumerGroupHeartbeatApi, 1, { ...join(g, 'nobody'), memberEpoch: 3, topicPartitions: null })).errorCode).toBe(
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
    // v0: the broker makes the member id
    const v0 = await c.request(ConsumerGroupHeartbeatApi, 0, join(g, ''));
    expect(v0.errorCode).toBe(0);
    expect(v0.memberId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a regex subscription picks up a topic created later', async () => {
    const c = await client();
    const g = groupName('regex');
    await broker.cluster.createTopic(broker.cluster.newTopic('rx-a', 1));
    await broker.cluster.createTopic(broker.cluster.newTopic('other-rx-b', 1));
    const first = await c.request(ConsumerGroupHeartbeatApi, 1, join(g, 'm', { subscribedTopicNames: null, subscribedTopicRegex: 'rx-.*' }));
    expect(first.assignment!.topicPartitions.map((t) => t.topicId)).toEqual([broker.cluster.topic('rx-a')!.id]);
    const created = await broker.cluster.createTopic(broker.cluster.newTopic('rx-c', 2));
    const next = await c.request(ConsumerGroupHeartbeatApi, 1, { groupId: g, memberId: 'm', memberEpoch: first.memberEpoch, topicPartitions: first.assignment!.topicPartitions });
    expect(next.memberEpoch).toBe(first.memberEpoch + 1);
    expect(next.assignment!.topicPartitions.find((t) => t.topicId === created.id)?.partitions).toEqual([0, 1]);
    const d = await c.request(ConsumerGroupDescribeApi, 0, { groupIds: [g], includeAuthorizedOperations: false });
    expect(d.groups[0].members[0]).toMatchObject({ subscribedTopicRegex: 'rx-.*', subscribedTopicNames: [] });
    expect(d.groups[0].members[0].assignment.topicPartitions.map((t) => t.topicName).sort()).toEqual(['rx-a', 'rx-c']);
  });

  it('a static member leaving with -2 and returning with a new id gets its partitions back without a new epoch', async () => {
    const c = await client();
    const g = groupName('static');
    const a = await c.request(ConsumerGroupHeartbeatApi, 1, join(g, 'a1', { instanceId: 'ia' }));
    const b = await c.request(ConsumerGroupHeartbeatApi, 1, join(g, 'b1', { instanceId: 'ib' }));
    // a acknowledges its revocation, b takes what was freed
    const a2 = await c.request(ConsumerGroupHeartbeatApi, 1, { groupId: g, memberId: 'a1', instanceId: 'ia', memberEpoch: a.memberEpoch, topicPartitions: a.assignment!.topicPartitions });
    const a3 = await c.request(ConsumerGroupHeartbeatApi, 1, { groupId: g, memberId: 'a1', instanceId: 'ia', memberEpoch: a2.memberEpoch, topicPartitions: a2.assignment!.topicPartitions });
    expect(a3.assignment).toBeNull(); // unchanged since the last answer
    const aOwned = a2.assignment!.topicPartitions;
    expect(aOwned[0].partitions).toHaveLength(2);
    await c.request(ConsumerGroupHeartbeatApi, 1, { groupId: g, memberId: 'b1', instanceId: 'ib', memberEpoch: b.memberEpoch, topicPartitions: [] });
    const before = broker.groups.describeConsumerGroups([g])[0];
    const left = await c.request(ConsumerGroupHeartbeatApi, 1, { groupId: g, memberId: 'a1', instanceId: 'ia', memberEpoch: -2, topicPartitions: [] });
    expect(left).toMatchObject({ errorCode: 0, memberEpoch: -2 });
    const back = await c.request(ConsumerGroupHeartbeatApi, 1, join(g, 'a2', { instanceId: 'ia' }));
    expect(back.errorCode).toBe(0);
    expect(back.assignment!.topicPartitions).toEqual(aOwned);
    expect(broker.groups.describeConsumerGroups([g])[0].groupEpoch).toBe(before.groupEpoch);
    // while b is live its instance id cannot be taken
    expect((await c.request(ConsumerGroupHeartbeatApi, 1, join(g, 'b2', { instanceId: 'ib' }))).errorCode).toBe(ErrorCode.UNRELEASED_INSTANCE_ID);
  });

  it('classic and consumer groups keep to their own protocol; listing and describing answer as Kafka', async () => {
    const c = await client();
    const g = groupName('typed');
    await c.request(ConsumerGroupHeartbeatApi, 1, join(g, 'm'));
    const mixed = await classicJoin(c, g, '');
    expect(mixed.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);

    const cg = groupName('classic');
    const first = await classicJoin(c, cg, 'x');
    expect(first.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const c2 = await client();
    const required = await classicJoin(c2, cg, '');
    const joined = classicJoin(c2, cg, required.memberId);
    expect((await joined).errorCode).toBe(0);
    const hb = await c.request(ConsumerGroupHeartbeatApi, 1, join(cg, 'm'));
    expect(hb).toMatchObject({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${cg} is not a consumer group.` });

    const listed = await c.request(ListGroupsApi, 5, { statesFilter: [], typesFilter: ['Consumer'] });
    const mine = listed.groups.find((x) => x.groupId === g);
    expect(mine).toEqual({ groupId: g, protocolType: 'consumer', groupState: 'Stable', groupType: 'consumer' });
    expect(listed.groups.some((x) => x.groupId === cg)).toBe(false);
    const described = await c.request(DescribeGroupsApi, 5, { groups: [g], includeAuthorizedOperations: false });
    expect(described.groups[0]).toMatchObject({ errorCode: 0, groupState: 'Dead', protocolType: '', members: [] });

    const d = await c.request(ConsumerGroupDescribeApi, 0, { groupIds: [g, cg, 'missing', ''], includeAuthorizedOperations: true });
    expect(d.groups.map((x) => x.errorCode)).toEqual([0, ErrorCode.GROUP_ID_NOT_FOUND, ErrorCode.GROUP_ID_NOT_FOUND, ErrorCode.INVALID_GROUP_ID]);
    expect(d.groups[0]).toMatchObject({ groupState: 'Stable', groupEpoch: 1, assignmentEpoch: 1, assignorName: 'uniform' });
    expect(d.groups[0].members[0]).toMatchObject({ memberId: 'm', memberEpoch: 1, clientId: 'raw-client', subscribedTopicNames: ['t'] });
    expect(d.groups[0].members[0].targetAssignment.topicPartitions).toEqual([{ topicId: broker.cluster.topic('t')!.id, topicName: 't', partitions: [0, 1, 2, 3] }]);
    expect(d.groups[0].authorizedOperations).toBeGreaterThan(0);
  });

  it('OffsetCommit and OffsetFetch v9 check the member epoch', async () => {
    const c = await client();
    const g = groupName('commit');
    const m = await c.request(ConsumerGroupHeartbeatApi, 1, join(g, 'm'));
    const commit = (version: number, epoch: number) =>
      c.request(OffsetCommitApi, version, {
        groupId: g,
        generationIdOrMemberEpoch: epoch,
        memberId: 'm',
        topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 3n, committedLeaderEpoch: -1, committedMetadata: null }] }],
      });
    expect((await commit(9, m.memberEpoch)).topics[0].partitions[0].errorCode).toBe(0);
    expect((await commit(9, m.memberEpoch - 1)).topics[0].partitions[0].errorCode).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    expect((await commit(8, m.memberEpoch)).topics[0].partitions[0].errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    const fetch = (memberEpoch: number) =>
      c.request(OffsetFetchApi, 9, { groups: [{ groupId: g, memberId: 'm', memberEpoch, topics: [{ name: 't', partitionIndexes: [0] }] }], requireStable: false });
    expect((await fetch(0)).groups[0].errorCode).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    expect((await fetch(m.memberEpoch)).groups[0].topics[0].partitions[0].committedOffset).toBe(3n);
  });

  it('with group.coordinator.rebalance.protocols=classic the heartbeat answers UNSUPPORTED_VERSION', async () => {
    const classicOnly = await startBroker({ memory: true, config: { 'group.coordinator.rebalance.protocols': 'classic' } });
    try {
      const c = await client(classicOnly);
      expect((await c.request(ConsumerGroupHeartbeatApi, 1, join('g', 'm'))).errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    } finally {
      await classicOnly.close();
    }
  });
});
