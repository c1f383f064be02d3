import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { GroupCoordinator } from './coordinator.js';
import {
  commitRequest,
  durableView,
  encodeAssignment,
  flush,
  heartbeatRequest,
  joinRequest,
  protocol,
  sequentialUuids,
  syncRequest,
  track,
} from './testing.js';
import { ErrorCode, type CoordinatorRecord, type JoinGroupRequest, type JoinGroupResult, type TxnProducerEpoch } from './types.js';

const T0 = 1_700_000_000_000;

async function formGroup(coord: GroupCoordinator, clock: ManualClock, groupId: string, reqs: Partial<JoinGroupRequest>[]) {
  const joins = reqs.map((r, i) => track(coord.joinGroup(joinRequest(groupId, { apiVersion: 3, clientId: `c${i}`, ...r }))));
  clock.advance(0);
  await flush();
  const results = joins.map((j) => j.value!);
  const leader = results.find((r) => r.leader === r.memberId)!;
  await Promise.all(
    results.map((r) =>
      coord.syncGroup(
        syncRequest(groupId, r.memberId, r.generationId, {
          groupInstanceId: reqs[results.indexOf(r)]!.groupInstanceId ?? null,
          protocolName: leader.protocolName,
          assignments:
            r === leader ? results.map((m, i) => ({ memberId: m.memberId, assignment: encodeAssignment([i, i + 10]) })) : [],
        }),
      ),
    ),
  );
  return results;
}

describe('replay', () => {
  it('rebuilds groups and offsets from the records, tombstones included', async () => {
    const clock = new ManualClock(T0);
    const records: CoordinatorRecord[] = [];
    const live = new GroupCoordinator({
      clock,
      config: { initialRebalanceDelayMs: 0 },
      newUuid: sequentialUuids(),
      persist: (r) => void records.push(...r),
    });

    // A: Stable, two protocols, a static member that restarted (new id, no rebalance).
    const a = await formGroup(live, clock, 'A', [
      { protocols: [protocol('roundrobin'), protocol('range')], sessionTimeoutMs: 20_000 },
      { protocols: [protocol('roundrobin', 'rr-1')], groupInstanceId: 'static-1', clientHost: '/10.0.0.2' },
      { protocols: [protocol('range'), protocol('roundrobin')], rebalanceTimeoutMs: 45_000 },
    ]);
    clock.advance(1_000);
    await live.joinGroup(joinRequest('A', { groupInstanceId: 'static-1', protocols: [protocol('roundrobin', 'rr-1')] }));
    await live.commitOffsets(commitRequest('A', { t: { 0: 5n, 1: 6n } }, { generationIdOrMemberEpoch: 1, memberId: a[0]!.memberId }));

    // B: formed, then everyone left: Empty with offsets.
    const b = await formGroup(live, clock, 'B', [{}, {}]);
    await live.commitOffsets(commitRequest('B', { u: { 3: 30n } }, { generationIdOrMemberEpoch: 1, memberId: b[0]!.memberId }));
    await live.leaveGroup({ groupId: 'B', members: b.map((m) => ({ memberId: m.memberId, groupInstanceId: null })) });

    // S: simple group, one offset deleted, one overwritten.
    await live.commitOffsets(commitRequest('S', { v: { 0: 1n, 1: 2n } }));
    await live.commitOffsets(commitRequest('S', { v: { 0: 100n } }));
    await live.deleteOffsets({ groupId: 'S', topics: [{ name: 'v', partitionIndexes: [1] }] });

    // C: deleted.
    await live.commitOffsets(commitRequest('C', { w: { 0: 1n } }));
    await live.deleteGroups(['C']);

    // D: Stable at generation 1, then caught mid-rebalance (CompletingRebalance of generation 2).
    const d = await formGroup(live, clock, 'D', [{}, {}]);
    const d1 = track(live.joinGroup(joinRequest('D', { memberId: d[0]!.memberId })));
    const d2 = track(live.joinGroup(joinRequest('D', { memberId: d[1]!.memberId })));
    await flush();
    expect(d1.value!.generationId).toBe(2);
    expect(d2.value!.generationId).toBe(2);
    const dBefore = records.filter((r) => r.groupId === 'D').at(-1);

    const replayed = new GroupCoordinator({ clock, config: { initialRebalanceDelayMs: 0 }, newUuid: sequentialUuids('ffffffff-0000-4000-8000') });
    for (const r of records) replayed.loadRecord(r);
    replayed.finishLoading();

    for (const g of ['A', 'B', 'S']) expect(durableView(replayed, g)).toEqual(durableView(live, g));
    expect(replayed.groupSnapshot('A')!.stateTimestamp).toBe(live.groupSnapshot('A')!.stateTimestamp);
    expect(replayed.groupSnapshot('B')!.stateTimestamp).toBe(live.groupSnapshot('B')!.stateTimestamp);
    expect(durableView(replayed, 'C')).toBeUndefined();
    // D comes back as its last persisted Stable generation.
    expect(dBefore!.type === 'group-metadata' && dBefore!.value!.generation).toBe(1);
    expect(durableView(replayed, 'D')).toMatchObject({ state: 'Stable', generationId: 1 });
    expect(replayed.listGroups().map((g) => g.groupId).sort()).toEqual(['A', 'B', 'D', 'S']);
    for (const g of ['A', 'B', 'S', 'C', 'D']) {
      expect((await replayed.fetchOffsets({ groupId: g, topics: null }))).toEqual((await live.fetchOffsets({ groupId: g, topics: null })));
    }
    expect((await replayed.fetchOffsets({ groupId: 'S', topics: null })).topics[0]!.partitions).toEqual([
      { partitionIndex: 0, committedOffset: 100n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
    ]);

    // Loaded members are live: heartbeats work, and silent members expire by their session timeout.
    const aMembers = replayed.groupSnapshot('A')!.members;
    const staticNow = aMembers.find((m) => m.groupInstanceId === 'static-1')!;
    expect((await replayed.heartbeat(heartbeatRequest('A', staticNow.memberId, 1, 'static-1'))).errorCode).toBe(0);
    const sync = await replayed.syncGroup(syncRequest('A', staticNow.memberId, 1, { groupInstanceId: 'static-1', protocolName: 'roundrobin' }));
    expect(sync.assignment).toEqual(encodeAssignment([1, 11]));
    // Everyone but a[0] (session 20s) keeps heartbeating.
    for (let i = 0; i < 3; i++) {
      clock.advance(5_000);
      for (const m of aMembers) {
        if (m.memberId !== a[0]!.memberId) await replayed.heartbeat(heartbeatRequest('A', m.memberId, 1, m.groupInstanceId));
      }
    }
    expect(replayed.groupSnapshot('A')!.state).toBe('Stable');
    clock.advance(5_000); // 20s after loading: a[0] is gone
    expect(replayed.groupSnapshot('A')!.state).toBe('PreparingRebalance');
    expect(replayed.groupSnapshot('A')!.members.map((m) => m.memberId)).not.toContain(a[0]!.memberId);
    expect(replayed.groupSnapshot('A')!.members).toHaveLength(2);
  });

  it('a group loaded over group.max.size rebalances and the rejoin trims it to the maximum', async () => {
    const clock = new ManualClock(T0);
    const records: CoordinatorRecord[] = [];
    const live = new GroupCoordinator({ clock, config: { initialRebalanceDelayMs: 0 }, newUuid: sequentialUuids(), persist: (r) => void records.push(...r) });
    const members: JoinGroupResult[] = await formGroup(live, clock, 'A', [{}, {}, {}]);
    const replayed = new GroupCoordinator({ clock, config: { initialRebalanceDelayMs: 0, maxGroupSize: 2 }, newUuid: sequentialUuids() });
    for (const r of records) replayed.loadRecord(r);
    replayed.finishLoading();
    expect(replayed.groupSnapshot('A')!.state).toBe('PreparingRebalance');
    const joins = members.map((m) => track(replayed.joinGroup(joinRequest('A', { memberId: m.memberId }))));
    await flush();
    // The last to rejoin is refused and removed; as in Kafka that removal alone does not
    // end the join phase: the rebalance timeout does.
    expect(joins.map((j) => j.value?.errorCode)).toEqual([undefined, undefined, ErrorCode.GROUP_MAX_SIZE_REACHED]);
    clock.advance(30_000);
    await flush();
    expect(joins.map((j) => j.value!.errorCode)).toEqual([0, 0, ErrorCode.GROUP_MAX_SIZE_REACHED]);
    expect(joins[0]!.value).toMatchObject({ generationId: 2 });
    expect(joins[0]!.value!.members).toHaveLength(2);
  });

  it('a transaction\'s offsets replay pending per producer until its marker: commit applies them, abort drops them', async () => {
    const clock = new ManualClock(T0);
    // The partition's log as the coordinator writes it: record batches (transactional ones with their producer) and markers.
    type Entry = { records: readonly CoordinatorRecord[]; txn?: TxnProducerEpoch } | { marker: bigint; commit: boolean };
    const log: Entry[] = [];
    const live = new GroupCoordinator({ clock, persist: (records, txn) => void log.push({ records, txn }) });
    const settle = (producerId: bigint, commit: boolean) => {
      log.push({ marker: producerId, commit });
      live.settleTransaction(producerId, commit);
    };
    const txnCommit = (groupId: string, offsets: Record<string, Record<number, bigint>>, producerId: bigint) =>
      live.txnCommitOffsets(commitRequest(groupId, offsets, { apiVersion: 3 }), { producerId, producerEpoch: 0 });

    await live.commitOffsets(commitRequest('T', { t: { 0: 1n, 1: 1n } }));
    await txnCommit('T', { t: { 0: 10n } }, 1n);
    await txnCommit('T', { t: { 1: 20n } }, 2n);
    settle(1n, true);
    settle(2n, false);
    // Still open at the end of the log: producer 3 on T and on a group nothing else created.
    await txnCommit('T', { t: { 1: 30n } }, 3n);
    await txnCommit('P', { p: { 0: 7n } }, 3n);
    await flush();
    expect(log.filter((e) => 'records' in e && e.txn !== undefined).map((e) => 'txn' in e && e.txn!.producerId)).toEqual([1n, 2n, 3n, 3n]);

    const replayed = new GroupCoordinator({ clock });
    for (const e of log) {
      if ('marker' in e) replayed.loadTxnMarker(e.marker, e.commit);
      else for (const r of e.records) replayed.loadRecord(r, e.txn?.producerId);
    }
    replayed.finishLoading();

    const view = async (c: GroupCoordinator, groupId: string, requireStable: boolean) => (await c.fetchOffsets({ groupId, topics: null, requireStable })).topics;
    const stable = async (c: GroupCoordinator) => (await c.fetchOffsets({ groupId: 'T', topics: [{ name: 't', partitionIndexes: [0, 1] }], requireStable: true })).topics;
    expect(replayed.listGroups()).toEqual(live.listGroups());
    for (const g of ['T', 'P']) expect(await view(replayed, g, false)).toEqual(await view(live, g, false));
    expect(await stable(replayed)).toEqual(await stable(live));
    expect((await stable(replayed))[0]!.partitions.map((p) => [p.committedOffset, p.errorCode])).toEqual([
      [10n, ErrorCode.NONE],
      [-1n, ErrorCode.UNSTABLE_OFFSET_COMMIT],
    ]);

    // The marker written after the load (the transaction coordinator completing it) settles the replayed pending offsets.
    replayed.settleTransaction(3n, true);
    live.settleTransaction(3n, true);
    await flush();
    for (const g of ['T', 'P']) expect(await view(replayed, g, true)).toEqual(await view(live, g, true));
    expect((await view(replayed, 'P', true))[0]!.partitions[0]!.committedOffset).toBe(7n);
    expect((await view(replayed, 'T', true))[0]!.partitions.map((p) => p.committedOffset)).toEqual([10n, 30n]);
  });
});
