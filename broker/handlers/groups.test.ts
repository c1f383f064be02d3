// The classic group protocol over real TCP, frame by frame (RawClient): every
// group API at several versions, the version-specific fields and the errors Kafka
// answers. Scenarios with real consumers live under compat-tests/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../broker.js';
import { RawClient } from '../../test/support/raw-client.js';
import { Writer } from '../../protocol/writer.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ApiVersionsApi } from '../../protocol/messages/18-api-versions.js';
import { FindCoordinatorApi } from '../../protocol/messages/10-find-coordinator.js';
import { JoinGroupApi, type JoinGroupResponse } from '../../protocol/messages/11-join-group.js';
import { SyncGroupApi } from '../../protocol/messages/14-sync-group.js';
import { HeartbeatApi } from '../../protocol/messages/12-heartbeat.js';
import { LeaveGroupApi } from '../../protocol/messages/13-leave-group.js';
import { OffsetCommitApi } from '../../protocol/messages/08-offset-commit.js';
import { OffsetFetchApi } from '../../protocol/messages/09-offset-fetch.js';
import { DescribeGroupsApi } from '../../protocol/messages/15-describe-groups.js';
import { ListGroupsApi } from '../../protocol/messages/16-list-groups.js';
import { DeleteGroupsApi } from '../../protocol/messages/42-delete-groups.js';
import { OffsetDeleteApi } from '../../protocol/messages/47-offset-delete.js';
import { writeConsumerProtocolSubscription } from '../../protocol/messages/data/consumer-protocol-subscription.js';
import { writeConsumerProtocolAssignment } from '../../protocol/messages/data/consumer-protocol-assignment.js';
import { GROUP_OPERATIONS, NOT_REQUESTED } from '../acl-operations.js';
import { parseConsumerAssignment, parseConsumerSubscription } from '../group-service.js';

const SESSION_MS = 10_000;

function subscription(topics: string[], version = 1): Buffer {
  const w = new Writer();
  w.int16(version);
  writeConsumerProtocolSubscription(w, { topics, userData: null }, version);
  return w.toBuffer();
}

function assignment(parts: Record<string, number[]>): Buffer {
  const w = new Writer();
  w.int16(0);
  writeConsumerProtocolAssignment(
    w,
    { assignedPartitions: Object.entries(parts).map(([topic, partitions]) => ({ topic, partitions })), userData: null },
    0,
  );
  return w.toBuffer();
}

interface JoinOpts {
  memberId?: string;
  groupInstanceId?: string | null;
  protocolType?: string;
  protocols?: { name: string; metadata: Buffer }[];
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  reason?: string;
}

function join(c: RawClient, version: number, groupId: string, o: JoinOpts = {}): Promise<JoinGroupResponse> {
  return c.request(JoinGroupApi, version, {
    groupId,
    sessionTimeoutMs: o.sessionTimeoutMs ?? SESSION_MS,
    ...(version >= 1 ? { rebalanceTimeoutMs: o.rebalanceTimeoutMs ?? SESSION_MS } : {}),
    memberId: o.memberId ?? '',
    ...(version >= 5 ? { groupInstanceId: o.groupInstanceId ?? null } : {}),
    protocolType: o.protocolType ?? 'consumer',
    protocols: o.protocols ?? [{ name: 'range', metadata: subscription(['t']) }],
    ...(version >= 8 ? { reason: o.reason ?? null } : {}),
  });
}

/** Joins as a new member: at v4+ first collects the member id (MEMBER_ID_REQUIRED). */
async function joinNew(c: RawClient, version: number, groupId: string, o: JoinOpts = {}): Promise<JoinGroupResponse> {
  if (version < 4 || o.groupInstanceId) return join(c, version, groupId, o);
  const first = await join(c, version, groupId, o);
  expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  return join(c, version, groupId, { ...o, memberId: first.memberId });
}

function sync(c: RawClient, version: number, groupId: string, memberId: string, generationId: number, assignments: { memberId: string; assignment: Buffer }[] = [], groupInstanceId: string | null = null) {
  return c.request(SyncGroupApi, version, {
    groupId,
    generationId,
    memberId,
    ...(version >= 3 ? { groupInstanceId } : {}),
    ...(version >= 5 ? { protocolType: 'consumer', protocolName: 'range' } : {}),
    assignments,
  });
}

function heartbeat(c: RawClient, version: number, groupId: string, memberId: string, generationId: number, groupInstanceId: string | null = null) {
  return c.request(HeartbeatApi, version, { groupId, generationId, memberId, ...(version >= 3 ? { groupInstanceId } : {}) });
}

async function until(pred: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

let uniq = 0;
const groupName = (p: string) => `${p}-${++uniq}`;

describe('classic group protocol over TCP', () => {
  let broker: RunningBroker;
  const clients: RawClient[] = [];
  const client = async () => {
    const c = await RawClient.connect(broker.host, broker.port);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    broker = await startBroker({
      memory: true,
      config: { 'group.initial.rebalance.delay.ms': '0', 'group.min.session.timeout.ms': '100' },
    });
    await broker.cluster.createTopic(broker.cluster.newTopic('t', 3));
    await broker.cluster.createTopic(broker.cluster.newTopic('u', 2));
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await broker?.close();
  });

  it('ApiVersions advertises the group APIs at the versions served', async () => {
    const c = await client();
    const res = await c.request(ApiVersionsApi, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    const byKey = new Map(res.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
    expect(byKey.get(8)).toEqual([0, 9]);
    expect(byKey.get(9)).toEqual([0, 9]);
    expect(byKey.get(10)).toEqual([0, 6]);
    expect(byKey.get(11)).toEqual([0, 9]);
    expect(byKey.get(12)).toEqual([0, 4]);
    expect(byKey.get(13)).toEqual([0, 5]);
    expect(byKey.get(14)).toEqual([0, 5]);
    expect(byKey.get(15)).toEqual([0, 5]);
    expect(byKey.get(16)).toEqual([0, 5]);
    expect(byKey.get(42)).toEqual([0, 2]);
    expect(byKey.get(47)).toEqual([0, 0]);
  });

  describe('FindCoordinator', () => {
    it('v0-v3 answer this broker for groups and transactional ids, "NONE" as the message', async () => {
      const c = await client();
      const v0 = await c.request(FindCoordinatorApi, 0, { key: 'g' });
      expect(v0).toMatchObject({ errorCode: 0, nodeId: 0, host: broker.host, port: broker.port });
      for (const v of [1, 2, 3]) {
        for (const keyType of [0, 1]) {
          const r = await c.request(FindCoordinatorApi, v, { key: 'k', keyType });
          expect(r).toMatchObject({ errorCode: 0, errorMessage: 'NONE', nodeId: 0, host: broker.host, port: broker.port });
        }
      }
      // An empty key is a key like any other.
      expect((await c.request(FindCoordinatorApi, 2, { key: '', keyType: 0 })).errorCode).toBe(0);
    });

    it('v0-v3: an unknown or share key type is INVALID_REQUEST with no node', async () => {
      const c = await client();
      for (const keyType of [2, 7]) {
        const r = await c.request(FindCoordinatorApi, 3, { key: 'k', keyType });
        expect(r).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, nodeId: -1, host: '', port: -1 });
        expect(r.errorMessage).toBeTruthy();
      }
    });

    it('v4-v6 answer a batch of keys, each with its own error', async () => {
      const c = await client();
      for (const v of [4, 5, 6]) {
        const r = await c.request(FindCoordinatorApi, v, { keyType: 0, coordinatorKeys: ['a', 'b', ''] });
        expect(r.coordinators.map((x) => [x.key, x.errorCode, x.nodeId, x.port])).toEqual([
          ['a', 0, 0, broker.port],
          ['b', 0, 0, broker.port],
          ['', 0, 0, broker.port],
        ]);
      }
      const txn = await c.request(FindCoordinatorApi, 4, { keyType: 1, coordinatorKeys: ['tx'] });
      expect(txn.coordinators[0]).toMatchObject({ key: 'tx', errorCode: 0, host: broker.host });
      const share = await c.request(FindCoordinatorApi, 6, { keyType: 2, coordinatorKeys: ['s1', 's2'] });
      expect(share.coordinators.map((x) => [x.key, x.errorCode, x.nodeId])).toEqual([
        ['s1', ErrorCode.INVALID_REQUEST, -1],
        ['s2', ErrorCode.INVALID_REQUEST, -1],
      ]);
      const bad = await c.request(FindCoordinatorApi, 5, { keyType: 9, coordinatorKeys: ['x', 'y'] });
      expect(bad.coordinators.map((x) => x.errorCode)).toEqual([ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
      expect(bad.coordinators[0]!.errorMessage).toBeTruthy();
    });
  });

  describe('JoinGroup / SyncGroup / Heartbeat / LeaveGroup', () => {
    it('v0: one member becomes leader of generation 1; the session timeout is also the rebalance timeout', async () => {
      const g = groupName('v0');
      const c = await client();
      const j = await join(c, 0, g, { sessionTimeoutMs: 7_000 });
      expect(j.errorCode).toBe(0);
      expect(j.generationId).toBe(1);
      expect(j.leader).toBe(j.memberId);
      expect(j.memberId.startsWith('raw-client-')).toBe(true);
      expect(j.protocolName).toBe('range');
      expect(j.members.map((m) => m.memberId)).toEqual([j.memberId]);
      expect(parseConsumerSubscription(j.members[0]!.metadata)).toEqual(['t']);
      const member = broker.groups.groupSnapshot(g)!.members[0]!;
      expect(member.rebalanceTimeoutMs).toBe(7_000);
      expect(member.clientHost).toBe('/127.0.0.1');

      const s = await sync(c, 0, g, j.memberId, 1, [{ memberId: j.memberId, assignment: assignment({ t: [0, 1, 2] }) }]);
      expect(s.errorCode).toBe(0);
      expect(parseConsumerAssignment(s.assignment)).toEqual(new Map([['t', [0, 1, 2]]]));
      expect((await heartbeat(c, 0, g, j.memberId, 1)).errorCode).toBe(0);
      expect((await c.request(LeaveGroupApi, 0, { groupId: g, memberId: j.memberId })).errorCode).toBe(0);
      expect(broker.groups.groupSnapshot(g)!.state).toBe('Empty');
    });

    it('v4+: a member without an id gets MEMBER_ID_REQUIRED and an id prefixed with its client id', async () => {
      const g = groupName('mid');
      const c = await client();
      const first = await join(c, 4, g);
      expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
      expect(first.memberId).toMatch(/^raw-client-[0-9a-f-]{36}$/);
      expect(first.generationId).toBe(-1);
      expect(first.members).toEqual([]);
      // Not a member yet: a pending one.
      expect(broker.groups.groupSnapshot(g)!.pendingMemberIds).toEqual([first.memberId]);
      const second = await join(c, 4, g, { memberId: first.memberId });
      expect(second).toMatchObject({ errorCode: 0, generationId: 1, memberId: first.memberId, leader: first.memberId });
    });

    for (const v of [1, 3, 4, 5, 7, 9]) {
      it(`v${v}: two members rebalance, sync, heartbeat and leave`, async () => {
        const g = groupName(`flow-v${v}`);
        const sv = Math.min(v, 5);
        const hv = Math.min(v, 4);
        const lv = Math.min(v, 5);
        const ca = await client();
        const cb = await client();

        const a1 = await joinNew(ca, v, g);
        expect(a1).toMatchObject({ errorCode: 0, generationId: 1, leader: a1.memberId });
        if (v >= 7) expect(a1.protocolType).toBe('consumer');
        const sa1 = await sync(ca, sv, g, a1.memberId, 1, [{ memberId: a1.memberId, assignment: assignment({ t: [0, 1, 2] }) }]);
        expect(sa1.errorCode).toBe(0);
        if (sv >= 5) expect([sa1.protocolType, sa1.protocolName]).toEqual(['consumer', 'range']);
        await broker.waitForGroupState(g, 'Stable', { members: 1 });

        // B arrives: the group prepares a rebalance; A learns it from its heartbeat.
        const bFirst = v >= 4 ? await join(cb, v, g) : undefined;
        const bJoin = join(cb, v, g, { memberId: bFirst?.memberId ?? '' });
        await until(() => broker.groups.groupSnapshot(g)!.state === 'PreparingRebalance', 'PreparingRebalance');
        expect((await heartbeat(ca, hv, g, a1.memberId, 1)).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
        const a2 = await join(ca, v, g, { memberId: a1.memberId });
        const b2 = await bJoin;
        expect(a2).toMatchObject({ errorCode: 0, generationId: 2, leader: a1.memberId });
        expect(b2).toMatchObject({ errorCode: 0, generationId: 2, leader: a1.memberId, members: [] });
        expect(a2.members.map((m) => m.memberId).sort()).toEqual([a1.memberId, b2.memberId].sort());

        // B's SyncGroup parks until the leader's brings the assignment.
        const bSync = sync(cb, sv, g, b2.memberId, 2);
        await until(() => broker.groups.groupSnapshot(g)!.members.some((m) => m.awaitingSync), 'B parked in SyncGroup');
        const sa2 = await sync(ca, sv, g, a1.memberId, 2, [
          { memberId: a1.memberId, assignment: assignment({ t: [0, 1] }) },
          { memberId: b2.memberId, assignment: assignment({ t: [2] }) },
        ]);
        expect(parseConsumerAssignment(sa2.assignment)).toEqual(new Map([['t', [0, 1]]]));
        const sb2 = await bSync;
        expect(sb2.errorCode).toBe(0);
        expect(parseConsumerAssignment(sb2.assignment)).toEqual(new Map([['t', [2]]]));

        expect((await heartbeat(ca, hv, g, a1.memberId, 2)).errorCode).toBe(0);
        expect((await heartbeat(cb, hv, g, b2.memberId, 2)).errorCode).toBe(0);
        expect((await heartbeat(ca, hv, g, a1.memberId, 1)).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
        expect((await heartbeat(ca, hv, g, 'nobody', 2)).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
        expect((await sync(ca, sv, g, a1.memberId, 1)).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);

        // B leaves; A must rejoin, alone, into generation 3.
        if (lv >= 3) {
          const left = await cb.request(LeaveGroupApi, lv, { groupId: g, members: [{ memberId: b2.memberId, groupInstanceId: null }] });
          expect(left.errorCode).toBe(0);
          expect(left.members).toEqual([{ memberId: b2.memberId, groupInstanceId: null, errorCode: 0 }]);
        } else {
          expect((await cb.request(LeaveGroupApi, lv, { groupId: g, memberId: b2.memberId })).errorCode).toBe(0);
        }
        expect((await heartbeat(ca, hv, g, a1.memberId, 2)).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
        const a3 = await join(ca, v, g, { memberId: a1.memberId });
        expect(a3).toMatchObject({ errorCode: 0, generationId: 3 });
        expect(a3.members.map((m) => m.memberId)).toEqual([a1.memberId]);
      });
    }

    it('JoinGroup errors: empty group id, session timeout out of range, protocol mismatch, unknown member', async () => {
      const c = await client();
      const g = groupName('jerr');
      expect((await join(c, 5, '')).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
      expect((await join(c, 5, g, { sessionTimeoutMs: 99 })).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
      expect((await join(c, 5, g, { sessionTimeoutMs: 1_800_001 })).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
      expect((await join(c, 5, groupName('nogroup'), { memberId: 'ghost' })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
      await joinNew(c, 5, g);
      const other = await client();
      const mismatch = await join(other, 3, g, { protocolType: 'connect' });
      expect(mismatch.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
      // Below v7 the protocol name of an error answer is '', from v7 null.
      expect(mismatch.protocolName).toBe('');
      const v7 = await join(other, 7, g, { protocols: [{ name: 'roundrobin', metadata: subscription(['t']) }] });
      expect(v7.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
      expect(v7.protocolName).toBeNull();
      expect(v7.protocolType).toBeNull();
    });

    it('SyncGroup v5 without protocol type/name is INCONSISTENT_GROUP_PROTOCOL; unknown group is UNKNOWN_MEMBER_ID', async () => {
      const c = await client();
      const g = groupName('serr');
      const j = await joinNew(c, 5, g);
      const r = await c.request(SyncGroupApi, 5, { groupId: g, generationId: 1, memberId: j.memberId, protocolType: null, protocolName: null });
      expect(r.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
      expect((await sync(c, 5, groupName('none'), 'm', 1)).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
      expect((await sync(c, 2, '', 'm', 1)).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
      expect((await heartbeat(c, 4, '', 'm', 1)).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
      expect((await heartbeat(c, 2, groupName('none'), 'm', 1)).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    });

    it('v9: a static leader that restarts gets its generation back with skipAssignment, and the old id is fenced', async () => {
      const g = groupName('static');
      const c = await client();
      const j1 = await join(c, 9, g, { groupInstanceId: 'inst-1' });
      expect(j1).toMatchObject({ errorCode: 0, generationId: 1, skipAssignment: false });
      expect(j1.memberId.startsWith('inst-1-')).toBe(true);
      expect(j1.members).toEqual([{ memberId: j1.memberId, groupInstanceId: 'inst-1', metadata: expect.any(Buffer) }]);
      await sync(c, 5, g, j1.memberId, 1, [{ memberId: j1.memberId, assignment: assignment({ t: [0] }) }], 'inst-1');
      await broker.waitForGroupState(g, 'Stable');

      const c2 = await client();
      const j2 = await join(c2, 9, g, { groupInstanceId: 'inst-1' });
      expect(j2).toMatchObject({ errorCode: 0, generationId: 1, skipAssignment: true, leader: j2.memberId });
      expect(j2.memberId).not.toBe(j1.memberId);
      const s2 = await sync(c2, 5, g, j2.memberId, 1, [], 'inst-1');
      expect(parseConsumerAssignment(s2.assignment)).toEqual(new Map([['t', [0]]]));
      expect((await heartbeat(c, 4, g, j1.memberId, 1, 'inst-1')).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
      expect(broker.groups.groupSnapshot(g)!.state).toBe('Stable');

      // LeaveGroup v3+ removes a static member by instance id alone; unknown ones get per-member errors.
      const c3 = await client();
      const left = await c3.request(LeaveGroupApi, 4, {
        groupId: g,
        members: [
          { memberId: '', groupInstanceId: 'inst-1' },
          { memberId: '', groupInstanceId: 'inst-9' },
          { memberId: 'nobody', groupInstanceId: null },
        ],
      });
      expect(left.errorCode).toBe(0);
      expect(left.members.map((m) => m.errorCode)).toEqual([0, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.UNKNOWN_MEMBER_ID]);
      await broker.waitForGroupState(g, 'Empty');
    });

    it('LeaveGroup errors: v0-v2 carry the member error at the top level; v3+ per member; empty group id', async () => {
      const c = await client();
      const g = groupName('lerr');
      await joinNew(c, 5, g);
      expect((await c.request(LeaveGroupApi, 1, { groupId: g, memberId: 'ghost' })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
      const unknownGroup = await c.request(LeaveGroupApi, 5, {
        groupId: groupName('none'),
        members: [{ memberId: 'm', groupInstanceId: null, reason: 'bye' }],
      });
      expect(unknownGroup).toMatchObject({ errorCode: 0, members: [{ memberId: 'm', errorCode: ErrorCode.UNKNOWN_MEMBER_ID }] });
      expect((await c.request(LeaveGroupApi, 2, { groupId: '', memberId: 'm' })).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
      const v3 = await c.request(LeaveGroupApi, 3, { groupId: '', members: [{ memberId: 'm', groupInstanceId: null }] });
      expect(v3).toMatchObject({ errorCode: ErrorCode.INVALID_GROUP_ID, members: [] });
    });

    it('a member that stops heartbeating is removed after its session timeout (real clock)', async () => {
      const g = groupName('expire');
      const c = await client();
      const j = await joinNew(c, 5, g, { sessionTimeoutMs: 150, rebalanceTimeoutMs: 150 });
      await sync(c, 5, g, j.memberId, 1, [{ memberId: j.memberId, assignment: assignment({ t: [0] }) }]);
      const empty = await broker.waitForGroupState(g, 'Empty', { timeoutMs: 5_000 });
      expect(empty.members).toEqual([]);
      expect(broker.groups.rebalanceHistory(g).at(-1)!.reasons.map((r) => r.kind)).toContain('session-timeout');
      expect((await heartbeat(c, 4, g, j.memberId, 1)).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    });
  });

  describe('OffsetCommit / OffsetFetch', () => {
    it('simple commits round-trip at every version pair', async () => {
      const c = await client();
      for (let v = 0; v <= 9; v++) {
        const g = groupName(`oc-v${v}`);
        const res = await c.request(OffsetCommitApi, v, {
          groupId: g,
          topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: BigInt(10 + v), committedMetadata: `m${v}`, ...(v >= 6 ? { committedLeaderEpoch: 3 } : {}) }] }],
        });
        expect(res.topics).toEqual([{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0 }] }]);
        const fv = Math.min(v, 7);
        const f = await c.request(OffsetFetchApi, fv, { groupId: g, topics: [{ name: 't', partitionIndexes: [0, 1] }] });
        expect(f.errorCode).toBe(0);
        expect(f.topics[0]!.partitions[0]).toMatchObject({ partitionIndex: 0, committedOffset: BigInt(10 + v), metadata: `m${v}`, errorCode: 0 });
        if (fv >= 5) expect(f.topics[0]!.partitions[0]!.committedLeaderEpoch).toBe(v >= 6 ? 3 : -1);
        // Partition 1 has nothing committed: -1 (v0: UNKNOWN_TOPIC_OR_PARTITION, as ZooKeeper-era Kafka answered).
        expect(f.topics[0]!.partitions[1]).toMatchObject({ committedOffset: -1n, metadata: '', errorCode: fv === 0 ? 3 : 0 });
      }
    });

    it('unknown topics and partitions answer UNKNOWN_TOPIC_OR_PARTITION and never reach the coordinator', async () => {
      const c = await client();
      const g = groupName('unknown-tp');
      const res = await c.request(OffsetCommitApi, 8, {
        groupId: g,
        generationIdOrMemberEpoch: 7,
        memberId: 'm',
        topics: [
          { name: 'nope', partitions: [{ partitionIndex: 0, committedOffset: 1n }, { partitionIndex: 1, committedOffset: 1n }] },
          { name: 't', partitions: [{ partitionIndex: 9, committedOffset: 1n }] },
        ],
      });
      expect(res.topics).toEqual([
        { name: 'nope', partitions: [{ partitionIndex: 0, errorCode: 3 }, { partitionIndex: 1, errorCode: 3 }] },
        { name: 't', partitions: [{ partitionIndex: 9, errorCode: 3 }] },
      ]);
      expect(broker.groups.groupSnapshot(g)).toBeUndefined();

      // Mixed: the errors first, then the coordinator's answers merged topic by topic.
      const mixed = await c.request(OffsetCommitApi, 8, {
        groupId: g,
        topics: [
          { name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5n }, { partitionIndex: 5, committedOffset: 5n }] },
          { name: 'u', partitions: [{ partitionIndex: 1, committedOffset: 6n }] },
        ],
      });
      expect(mixed.topics).toEqual([
        { name: 't', partitions: [{ partitionIndex: 5, errorCode: 3 }, { partitionIndex: 0, errorCode: 0 }] },
        { name: 'u', partitions: [{ partitionIndex: 1, errorCode: 0 }] },
      ]);
    });

    it('member commits check generation and member; unknown groups: ILLEGAL_GENERATION, v9 GROUP_ID_NOT_FOUND', async () => {
      const c = await client();
      const g = groupName('member-commit');
      const j = await joinNew(c, 5, g);
      const commit = (v: number, generationIdOrMemberEpoch: number, memberId: string, groupId = g) =>
        c.request(OffsetCommitApi, v, {
          groupId,
          generationIdOrMemberEpoch,
          memberId,
          topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 42n }] }],
        });
      // CompletingRebalance until the leader syncs.
      expect((await commit(8, 1, j.memberId)).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
      await sync(c, 5, g, j.memberId, 1, [{ memberId: j.memberId, assignment: assignment({ t: [0] }) }]);
      expect((await commit(8, 1, j.memberId)).topics[0]!.partitions[0]!.errorCode).toBe(0);
      expect((await commit(8, 2, j.memberId)).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
      expect((await commit(8, 1, 'ghost')).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
      expect((await commit(2, -1, '')).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
      expect((await commit(8, 3, 'm', groupName('nogroup'))).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
      expect((await commit(9, 3, 'm', groupName('nogroup'))).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    });

    it('metadata over offset.metadata.max.bytes is refused per partition', async () => {
      const c = await client();
      const res = await c.request(OffsetCommitApi, 7, {
        groupId: groupName('meta'),
        topics: [
          {
            name: 't',
            partitions: [
              { partitionIndex: 0, committedOffset: 1n, committedMetadata: 'x'.repeat(4097) },
              { partitionIndex: 1, committedOffset: 1n, committedMetadata: 'x'.repeat(4096) },
            ],
          },
        ],
      });
      expect(res.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([ErrorCode.OFFSET_METADATA_TOO_LARGE, 0]);
    });

    it('v1 commit timestamps and v2-v4 retention times are kept as Kafka keeps them', async () => {
      const c = await client();
      const g1 = groupName('v1ts');
      await c.request(OffsetCommitApi, 1, {
        groupId: g1,
        topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, commitTimestamp: 1_000n }, { partitionIndex: 1, committedOffset: 2n }] }],
      });
      const o1 = broker.groups.state.offsets.group(g1)!.get('t')!;
      expect(o1.get(0)).toMatchObject({ commitTimestamp: 1_000, expireTimestamp: -1 });
      expect(o1.get(1)!.commitTimestamp).toBeGreaterThan(1_000);

      const g2 = groupName('v2ret');
      const before = Date.now();
      await c.request(OffsetCommitApi, 3, {
        groupId: g2,
        retentionTimeMs: 60_000n,
        topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n }] }],
      });
      const o2 = broker.groups.state.offsets.group(g2)!.get('t')!.get(0)!;
      expect(o2.expireTimestamp).toBeGreaterThanOrEqual(before + 60_000);
      expect(o2.expireTimestamp).toBeLessThanOrEqual(Date.now() + 60_000);
    });

    it('v2+ fetches every committed partition with null topics; unknown groups have no offsets', async () => {
      const c = await client();
      const g = groupName('all');
      await c.request(OffsetCommitApi, 5, {
        groupId: g,
        topics: [
          { name: 't', partitions: [{ partitionIndex: 2, committedOffset: 20n }] },
          { name: 'u', partitions: [{ partitionIndex: 0, committedOffset: 30n }] },
        ],
      });
      const all = await c.request(OffsetFetchApi, 6, { groupId: g, topics: null, requireStable: false });
      expect(all.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.committedOffset])]).sort()).toEqual([
        ['t', [[2, 20n]]],
        ['u', [[0, 30n]]],
      ]);
      const none = await c.request(OffsetFetchApi, 2, { groupId: groupName('none'), topics: null });
      expect(none).toMatchObject({ errorCode: 0, topics: [] });
      const stable = await c.request(OffsetFetchApi, 7, { groupId: g, topics: [{ name: 't', partitionIndexes: [2] }], requireStable: true });
      expect(stable.topics[0]!.partitions[0]!.committedOffset).toBe(20n);
    });

    it('v8-v9 fetch several groups in one request', async () => {
      const c = await client();
      const g1 = groupName('multi');
      const g2 = groupName('multi');
      for (const [g, off] of [[g1, 100n], [g2, 200n]] as const) {
        await c.request(OffsetCommitApi, 9, { groupId: g, topics: [{ name: 't', partitions: [{ partitionIndex: 1, committedOffset: off, committedLeaderEpoch: 5 }] }] });
      }
      for (const v of [8, 9]) {
        const res = await c.request(OffsetFetchApi, v, {
          groups: [
            { groupId: g1, topics: [{ name: 't', partitionIndexes: [1, 2] }] },
            { groupId: g2, topics: null },
            { groupId: groupName('absent'), topics: [{ name: 'nope', partitionIndexes: [0] }] },
          ],
          requireStable: v === 9,
        });
        expect(res.groups.map((g) => g.groupId)).toEqual([g1, g2, expect.any(String)]);
        expect(res.groups[0]!.topics[0]!.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.committedLeaderEpoch])).toEqual([
          [1, 100n, 5],
          [2, -1n, -1],
        ]);
        expect(res.groups[1]!.topics).toEqual([
          { name: 't', partitions: [{ partitionIndex: 1, committedOffset: 200n, committedLeaderEpoch: 5, metadata: '', errorCode: 0 }] },
        ]);
        expect(res.groups[2]).toMatchObject({ errorCode: 0, topics: [{ name: 'nope', partitions: [{ partitionIndex: 0, committedOffset: -1n, errorCode: 0 }] }] });
      }
    });
  });

  describe('DescribeGroups / ListGroups / DeleteGroups / OffsetDelete', () => {
    it('describes a Stable group with members, an unknown group as Dead, authorized operations when asked', async () => {
      const g = groupName('desc');
      const c = await client();
      const j = await join(c, 5, g, { groupInstanceId: 'static-a' });
      await sync(c, 5, g, j.memberId, 1, [{ memberId: j.memberId, assignment: assignment({ t: [0, 1] }) }], 'static-a');
      for (let v = 0; v <= 5; v++) {
        const res = await c.request(DescribeGroupsApi, v, { groups: [g, 'no-such-group'], ...(v >= 3 ? { includeAuthorizedOperations: true } : {}) });
        const [d, dead] = res.groups;
        expect(d).toMatchObject({ errorCode: 0, groupId: g, groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
        expect(d!.members).toHaveLength(1);
        expect(d!.members[0]).toMatchObject({ memberId: j.memberId, clientId: 'raw-client', clientHost: '/127.0.0.1', groupInstanceId: v >= 4 ? 'static-a' : null });
        expect(parseConsumerSubscription(d!.members[0]!.memberMetadata)).toEqual(['t']);
        expect(parseConsumerAssignment(d!.members[0]!.memberAssignment)).toEqual(new Map([['t', [0, 1]]]));
        expect(d!.authorizedOperations).toBe(v >= 3 ? GROUP_OPERATIONS : NOT_REQUESTED);
        expect(dead).toMatchObject({ errorCode: 0, groupId: 'no-such-group', groupState: 'Dead', protocolType: '', members: [] });
      }
      const notAsked = await c.request(DescribeGroupsApi, 4, { groups: [g], includeAuthorizedOperations: false });
      expect(notAsked.groups[0]!.authorizedOperations).toBe(NOT_REQUESTED);
    });

    it('lists groups with their state (v4+) and type (v5+), filtered by state and type', async () => {
      const c = await client();
      const stable = groupName('list-stable');
      const simple = groupName('list-simple');
      const j = await joinNew(c, 5, stable);
      await sync(c, 5, stable, j.memberId, 1, [{ memberId: j.memberId, assignment: assignment({ t: [0] }) }]);
      await c.request(OffsetCommitApi, 5, { groupId: simple, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n }] }] });

      const v0 = await c.request(ListGroupsApi, 0, {});
      expect(v0.errorCode).toBe(0);
      expect(v0.groups).toEqual(expect.arrayContaining([{ groupId: stable, protocolType: 'consumer', groupState: '', groupType: '' }, { groupId: simple, protocolType: '', groupState: '', groupType: '' }]));
      const v4 = await c.request(ListGroupsApi, 4, { statesFilter: ['stable'] });
      expect(v4.groups.map((x) => x.groupId)).toContain(stable);
      expect(v4.groups.map((x) => x.groupId)).not.toContain(simple);
      expect(v4.groups.every((x) => x.groupState === 'Stable')).toBe(true);
      const v5 = await c.request(ListGroupsApi, 5, { statesFilter: ['Empty'], typesFilter: ['Classic'] });
      expect(v5.groups.find((x) => x.groupId === simple)).toEqual({ groupId: simple, protocolType: '', groupState: 'Empty', groupType: 'classic' });
      expect((await c.request(ListGroupsApi, 5, { typesFilter: ['consumer'] })).groups).toEqual([]);
    });

    it('deletes empty groups with their offsets; members make NON_EMPTY_GROUP; unknown is GROUP_ID_NOT_FOUND', async () => {
      const c = await client();
      const busy = groupName('del-busy');
      const idle = groupName('del-idle');
      await joinNew(c, 5, busy);
      await c.request(OffsetCommitApi, 5, { groupId: idle, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 9n }] }] });
      for (const v of [0, 1, 2]) {
        const target = v === 0 ? idle : groupName('del-none');
        const res = await c.request(DeleteGroupsApi, v, { groupsNames: [busy, target, target] });
        expect(res.results).toEqual([
          { groupId: busy, errorCode: ErrorCode.NON_EMPTY_GROUP },
          { groupId: target, errorCode: v === 0 ? 0 : ErrorCode.GROUP_ID_NOT_FOUND },
        ]);
      }
      const f = await c.request(OffsetFetchApi, 5, { groupId: idle, topics: [{ name: 't', partitionIndexes: [0] }] });
      expect(f.topics[0]!.partitions[0]!.committedOffset).toBe(-1n);
      expect((await c.request(DeleteGroupsApi, 2, { groupsNames: [idle] })).results[0]!.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    });

    it('OffsetDelete: group errors replace the answer; subscribed topics are refused; unknown partitions per partition', async () => {
      const c = await client();
      const del = (groupId: string, topics: { name: string; partitions: { partitionIndex: number }[] }[]) =>
        c.request(OffsetDeleteApi, 0, { groupId, topics });
      expect(await del('', [])).toMatchObject({ errorCode: ErrorCode.INVALID_GROUP_ID, topics: [] });
      expect(await del(groupName('none'), [{ name: 't', partitions: [{ partitionIndex: 0 }] }])).toMatchObject({
        errorCode: ErrorCode.GROUP_ID_NOT_FOUND,
        topics: [],
      });

      // A group of another protocol type with members: NON_EMPTY_GROUP.
      const connect = groupName('od-connect');
      await joinNew(c, 5, connect, { protocolType: 'connect', protocols: [{ name: 'default', metadata: Buffer.from('x') }] });
      expect((await del(connect, [{ name: 't', partitions: [{ partitionIndex: 0 }] }])).errorCode).toBe(ErrorCode.NON_EMPTY_GROUP);

      // A consumer group subscribed to t: t is refused, u's offsets go.
      const g = groupName('od-consumer');
      const c2 = await client();
      const j = await joinNew(c2, 5, g);
      await sync(c2, 5, g, j.memberId, 1, [{ memberId: j.memberId, assignment: assignment({ t: [0] }) }]);
      await c2.request(OffsetCommitApi, 8, {
        groupId: g,
        generationIdOrMemberEpoch: 1,
        memberId: j.memberId,
        topics: [
          { name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n }] },
          { name: 'u', partitions: [{ partitionIndex: 0, committedOffset: 2n }] },
        ],
      });
      const res = await del(g, [
        { name: 'nope', partitions: [{ partitionIndex: 0 }] },
        { name: 't', partitions: [{ partitionIndex: 0 }] },
        { name: 'u', partitions: [{ partitionIndex: 0 }, { partitionIndex: 7 }] },
      ]);
      expect(res.errorCode).toBe(0);
      expect(res.topics).toEqual([
        { name: 'nope', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] },
        { name: 'u', partitions: [{ partitionIndex: 7, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }, { partitionIndex: 0, errorCode: 0 }] },
        { name: 't', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC }] },
      ]);
      const f = await c.request(OffsetFetchApi, 7, { groupId: g, topics: null });
      expect(f.topics.map((t) => t.name)).toEqual(['t']);
    });
  });

  describe('test hooks', () => {
    it('waitForGroupState resolves when the group is Stable with the asked member count, and times out otherwise', async () => {
      const g = groupName('hook');
      const waiting = broker.waitForGroupState(g, 'Stable', { members: 1 });
      const c = await client();
      const j = await joinNew(c, 5, g);
      await sync(c, 5, g, j.memberId, 1, [{ memberId: j.memberId, assignment: assignment({ t: [0] }) }]);
      const s = await waiting;
      expect(s).toMatchObject({ groupId: g, state: 'Stable', generationId: 1 });
      await expect(broker.waitForGroupState(g, 'Stable', { members: 2, timeoutMs: 20 })).rejects.toThrow(/did not become Stable with 2 member/);
    });

    it('subscriptions are read with Kafka\'s v0 prefix whatever their version', () => {
      expect(parseConsumerSubscription(subscription(['a', 'b'], 0))).toEqual(['a', 'b']);
      expect(parseConsumerSubscription(subscription(['a'], 3))).toEqual(['a']);
      expect(parseConsumerSubscription(Buffer.from([0, 1, 0]))).toBeNull();
    });
  });
});
