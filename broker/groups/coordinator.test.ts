import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { GroupCoordinator } from './coordinator.js';
import { GroupCoordinatorState } from './group-coordinator-state.js';
import { commitRequest, flush, heartbeatRequest, joinRequest, sequentialUuids, syncRequest, track } from './testing.js';
import { DEFAULT_GROUP_COORDINATOR_CONFIG, ErrorCode, GROUP_CONFIG_NAMES, type CoordinatorRecord } from './types.js';

const G = 'g';

describe('GroupCoordinator driver', () => {
  it('uses Kafka defaults and names for its configuration', () => {
    expect(DEFAULT_GROUP_COORDINATOR_CONFIG).toMatchObject({
      minSessionTimeoutMs: 6_000,
      maxSessionTimeoutMs: 1_800_000,
      initialRebalanceDelayMs: 3_000,
      maxGroupSize: 2_147_483_647,
      offsetMetadataMaxBytes: 4_096,
      offsetsRetentionMinutes: 10_080,
      offsetsRetentionCheckIntervalMs: 600_000,
    });
    expect(GROUP_CONFIG_NAMES.initialRebalanceDelayMs).toBe('group.initial.rebalance.delay.ms');
    expect(new GroupCoordinatorState({ config: { maxGroupSize: 5 } }).config.maxGroupSize).toBe(5);
  });

  it('with an async persistence hook, answers wait for it and leave in step order; records that come meanwhile go in one append', async () => {
    const clock = new ManualClock(0);
    const gates: (() => void)[] = [];
    const persisted: CoordinatorRecord[][] = [];
    const coord = new GroupCoordinator({
      clock,
      newUuid: sequentialUuids(),
      persist: (records) =>
        new Promise<void>((resolve) => {
          persisted.push([...records]);
          gates.push(resolve);
        }),
    });
    const order: string[] = [];
    const c1 = coord.commitOffsets(commitRequest('s', { t: { 0: 1n } })).then(() => order.push('commit-1'));
    // No records in this step, but it must not overtake the commit.
    const hb = coord.heartbeat(heartbeatRequest('nope', 'm', 1)).then(() => order.push('heartbeat'));
    const c2 = coord.commitOffsets(commitRequest('s', { t: { 0: 2n } })).then(() => order.push('commit-2'));
    const c3 = coord.commitOffsets(commitRequest('s2', { t: { 1: 3n } })).then(() => order.push('commit-3'));
    await flush();
    expect(order).toEqual([]);
    expect(coord.pendingRequestCount).toBe(4);
    expect(persisted).toHaveLength(1);
    gates[0]!();
    await flush();
    expect(order).toEqual(['commit-1', 'heartbeat']);
    // The two commits that waited went to the hook together, in step order.
    expect(persisted).toHaveLength(2);
    expect(persisted[1]!.map((r) => (r.type === 'offset-commit' ? `${r.groupId} ${r.value?.offset}` : r.type))).toEqual(['s 2', 's2 3']);
    gates[1]!();
    await Promise.all([c1, hb, c2, c3]);
    expect(order).toEqual(['commit-1', 'heartbeat', 'commit-2', 'commit-3']);
    // Once idle, answers are immediate again.
    const hb2 = track(coord.heartbeat(heartbeatRequest('nope', 'm', 1)));
    await flush();
    expect(hb2.settled).toBe(true);
  });

  it('a merged append that fails fails every step in it; a transaction\'s offsets are appended alone', async () => {
    const clock = new ManualClock(0);
    const gates: ((ok: boolean) => void)[] = [];
    const calls: { records: number; txn: boolean }[] = [];
    const coord = new GroupCoordinator({
      clock,
      persist: (records, txn) =>
        new Promise<void>((resolve, reject) => {
          calls.push({ records: records.length, txn: txn !== undefined });
          gates.push((ok) => (ok ? resolve() : reject(new Error('disk on fire'))));
        }),
    });
    const first = track(coord.commitOffsets(commitRequest('a', { t: { 0: 1n } })));
    const second = track(coord.commitOffsets(commitRequest('b', { t: { 0: 1n } })));
    const third = track(coord.commitOffsets(commitRequest('c', { t: { 0: 1n, 1: 1n } })));
    const txn = track(coord.txnCommitOffsets(commitRequest('d', { t: { 0: 1n } }), { producerId: 7n, producerEpoch: 0 }));
    const fourth = track(coord.commitOffsets(commitRequest('e', { t: { 0: 1n } })));
    await flush();
    gates[0]!(true);
    await flush();
    expect(first.value!.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(calls).toEqual([
      { records: 1, txn: false },
      { records: 3, txn: false },
    ]);
    gates[1]!(false);
    await flush();
    for (const r of [second, third]) {
      for (const p of r.value!.topics[0]!.partitions) expect(p.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
    expect(calls[2]).toEqual({ records: 1, txn: true });
    gates[2]!(true);
    await flush();
    expect(txn.value!.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(calls[3]).toEqual({ records: 1, txn: false });
    gates[3]!(true);
    await flush();
    expect(fourth.value!.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
  });

  it('OffsetFetch with requireStable waits for commits still being persisted', async () => {
    const clock = new ManualClock(0);
    let release = () => {};
    const coord = new GroupCoordinator({
      clock,
      persist: () => new Promise<void>((resolve) => (release = resolve)),
    });
    const commit = track(coord.commitOffsets(commitRequest('s', { t: { 0: 9n } })));
    const stable = track(coord.fetchOffsets({ groupId: 's', topics: null, requireStable: true }));
    const unstable = track(coord.fetchOffsets({ groupId: 's', topics: null }));
    await flush();
    expect(unstable.settled).toBe(true);
    expect(stable.settled || commit.settled).toBe(false);
    release();
    await flush();
    expect(commit.settled).toBe(true);
    expect(stable.value!.topics[0]!.partitions[0]!.committedOffset).toBe(9n);
  });

  it('a persistence hook that throws counts as a failed append', async () => {
    const coord = new GroupCoordinator({
      clock: new ManualClock(0),
      persist: () => {
        throw new Error('boom');
      },
    });
    const res = await coord.commitOffsets(commitRequest('s', { t: { 0: 1n } }));
    expect(res.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });

  it('if persisting fails, answers that relied on the records carry COORDINATOR_NOT_AVAILABLE', async () => {
    const clock = new ManualClock(0);
    let fail = true;
    const coord = new GroupCoordinator({
      clock,
      newUuid: sequentialUuids(),
      persist: () => (fail ? Promise.reject(new Error('disk on fire')) : undefined),
    });
    const res = await coord.commitOffsets(commitRequest('s', { t: { 0: 1n, 1: 2n } }));
    expect(res.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([
      ErrorCode.COORDINATOR_NOT_AVAILABLE,
      ErrorCode.COORDINATOR_NOT_AVAILABLE,
    ]);
    fail = false;
    const ok = await coord.commitOffsets(commitRequest('s', { t: { 0: 1n } }));
    expect(ok.topics[0]!.partitions[0]!.errorCode).toBe(0);
  });

  it('a bug in a step answers that request UNKNOWN_SERVER_ERROR and keeps serving', async () => {
    const clock = new ManualClock(0);
    const lines: string[] = [];
    const { pino } = await import('pino');
    const coord = new GroupCoordinator({
      clock,
      logger: pino({ level: 'error' }, { write: (s: string) => void lines.push(s) }),
      newUuid: () => {
        throw new Error('no entropy');
      },
    });
    const r = await coord.joinGroup(joinRequest(G, { memberId: '', apiVersion: 4 }));
    expect(r.errorCode).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
    expect(lines.join('')).toContain('group coordinator step failed');
    expect((await coord.heartbeat(heartbeatRequest(G, 'x', 0))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('close() answers every parked request NOT_COORDINATOR, cancels all timers, and refuses later requests', async () => {
    const clock = new ManualClock(0);
    const coord = new GroupCoordinator({ clock, newUuid: sequentialUuids(), config: { initialRebalanceDelayMs: 0 } });
    const joins = [0, 1].map((i) => track(coord.joinGroup(joinRequest(G, { apiVersion: 3, clientId: `c${i}` }))));
    clock.advance(0);
    await flush();
    const follower = joins[1]!.value!;
    const parked = track(coord.syncGroup(syncRequest(G, follower.memberId, 1)));
    const waitingJoin = track(coord.joinGroup(joinRequest('other', { apiVersion: 3 })));
    await flush();
    expect(parked.settled || waitingJoin.settled).toBe(false);
    expect(clock.pendingTimers()).toBeGreaterThan(0);
    coord.close();
    await flush();
    expect(parked.value!.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(waitingJoin.value!.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(coord.pendingRequestCount).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
    expect((await coord.heartbeat(heartbeatRequest(G, follower.memberId, 1))).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await coord.deleteGroups(['a', 'a'])).map((r) => r.errorCode)).toEqual([ErrorCode.NOT_COORDINATOR]);
  });

  it('heartbeats do not churn clock timers: one timer per member at most', async () => {
    const clock = new ManualClock(0);
    const coord = new GroupCoordinator({ clock, newUuid: sequentialUuids(), config: { initialRebalanceDelayMs: 0 } });
    const joins = Array.from({ length: 20 }, (_, i) => track(coord.joinGroup(joinRequest(G, { apiVersion: 3, clientId: `c${i}` }))));
    clock.advance(0);
    await flush();
    const results = joins.map((j) => j.value!);
    await Promise.all(results.map((r) => coord.syncGroup(syncRequest(G, r.memberId, r.generationId))));
    for (let round = 0; round < 50; round++) {
      clock.advance(100);
      for (const r of results) await coord.heartbeat(heartbeatRequest(G, r.memberId, r.generationId));
    }
    // 20 sessions + offsets expiry; superseded deadlines re-arm lazily.
    expect(clock.pendingTimers()).toBe(21);
    expect(coord.armedTimerCount).toBe(21);
    expect(coord.groupSnapshot(G)!.state).toBe('Stable');
  });
});
