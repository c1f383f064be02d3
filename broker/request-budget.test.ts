// Issue 7, item 2: queued.max.requests and queued.max.request.bytes bound what
// all connections hold together. Over real TCP: connection A sends the size
// prefix and a few bytes of a request (Kafka reserves a request's memory when it
// reads the size), then connection B sends a whole request. With the budget
// spent by A, B is not read until A's request is answered; with room, B is
// served at once.
import { describe, it, expect, vi } from 'vitest';
import { startBroker, type RunningBroker } from './broker.js';
import { RawClient } from '../test/support/raw-client.js';
import { ApiVersionsApi } from '../protocol/messages/18-api-versions.js';
import { JoinGroupApi } from '../protocol/messages/11-join-group.js';
import { SyncGroupApi } from '../protocol/messages/14-sync-group.js';
import { FetchApi } from '../protocol/messages/01-fetch.js';
import { ProduceApi } from '../protocol/messages/00-produce.js';
import { CreateTopicsApi } from '../protocol/messages/19-create-topics.js';
import { writeConsumerProtocolSubscription } from '../protocol/messages/data/consumer-protocol-subscription.js';
import { buildRecordBatchSync } from '../protocol/record-batch.js';
import { Writer } from '../protocol/writer.js';
import { ErrorCode } from '../protocol/errors.js';

const body = { clientSoftwareName: 'budget-test', clientSoftwareVersion: '1' };

/** How long B must stay unanswered while A holds the budget: the delay is what is under test. */
const HELD_MS = 300;

/**
 * A holds a partial request; B sends a whole one. Returns whether B was answered
 * while A was still partial (waiting HELD_MS at most, or for B's answer when `expectServed`).
 */
async function servedWhileHeld(config: Record<string, string>, expectServed: boolean): Promise<boolean> {
  const broker = await startBroker({ config });
  try {
    const a = await RawClient.connect(broker.host, broker.port);
    const b = await RawClient.connect(broker.host, broker.port);
    // B is served at all, and the budget is free again after an answer.
    await b.request(ApiVersionsApi, 3, body);
    const aFrame = a.encode(ApiVersionsApi, 3, body, 100);
    const aDone = a.rawRequest(aFrame.subarray(0, 6), 100);
    await new Promise<void>((r) => a.socket.write(Buffer.alloc(0), () => r()));
    let bAnswered = false;
    const bDone = b.request(ApiVersionsApi, 3, body).then(() => (bAnswered = true));
    if (expectServed) await bDone;
    else await new Promise((r) => setTimeout(r, HELD_MS));
    const served = bAnswered;
    a.write(aFrame.subarray(6));
    // Once A's request is answered the budget is free and B is served.
    await Promise.all([aDone, bDone]);
    a.close();
    b.close();
    return served;
  } finally {
    await broker.close();
  }
}

describe('issue 7: the broker-wide request budget', () => {
  it('queued.max.requests=1: a second connection waits while the first holds the one request', async () => {
    expect(await servedWhileHeld({ 'queued.max.requests': '1' }, false)).toBe(false);
  });

  it('queued.max.request.bytes=1: a second connection waits while the first holds the bytes', async () => {
    expect(await servedWhileHeld({ 'queued.max.request.bytes': '1' }, false)).toBe(false);
  });

  it('with the defaults, the second connection is served while the first holds a partial request', async () => {
    expect(await servedWhileHeld({}, true)).toBe(true);
  });
});

describe('issue 7: a reservation is returned when its request never completes', () => {
  it('a peer that closes in the middle of a request does not keep the budget', async () => {
    const broker = await startBroker({ config: { 'queued.max.requests': '1' } });
    try {
      const a = await RawClient.connect(broker.host, broker.port);
      a.write(a.encode(ApiVersionsApi, 3, body).subarray(0, 6));
      await new Promise<void>((r) => a.socket.end(() => r()));
      a.close();
      await a.closed;
      const b = await RawClient.connect(broker.host, broker.port);
      expect((await b.request(ApiVersionsApi, 3, body)).errorCode).toBe(0);
      b.close();
    } finally {
      await broker.close();
    }
  });
});

// Regression (bench/rebalance: a classic group of 1,000 never became Stable): a
// request that waits on other clients (a parked JoinGroup or SyncGroup, a Fetch
// waiting for data) held its share of queued.max.requests until answered, so a
// budget's worth of them kept every other connection from being read, including
// the requests they waited for. Like Kafka's purgatory, a parked request no
// longer counts: groups larger than the budget settle, and a produce reaches
// fetches that wait for it.
const GROUP = 'budget-group';
const SESSION_MS = 30_000;
/** Longer than the test timeout: a join or sync phase can only end by the members' requests. */
const REBALANCE_MS = 120_000;

function subscription(): Buffer {
  const w = new Writer();
  w.int16(0);
  writeConsumerProtocolSubscription(w, { topics: ['t'], userData: null }, 0);
  return w.toBuffer();
}

function join(c: RawClient, memberId: string) {
  return c.request(JoinGroupApi, 9, {
    groupId: GROUP,
    sessionTimeoutMs: SESSION_MS,
    rebalanceTimeoutMs: REBALANCE_MS,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription() }],
    reason: null,
  });
}

function sync(c: RawClient, memberId: string, generationId: number, assignments: { memberId: string; assignment: Buffer }[]) {
  return c.request(SyncGroupApi, 5, { groupId: GROUP, generationId, memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments });
}

async function connectMany(broker: RunningBroker, n: number): Promise<RawClient[]> {
  const out: RawClient[] = [];
  for (let i = 0; i < n; i += 100) out.push(...(await Promise.all(Array.from({ length: Math.min(100, n - i) }, () => RawClient.connect(broker.host, broker.port)))));
  return out;
}

/** One connection per member, as real consumers: every member joins, followers' SyncGroups park, then the leader's. */
async function groupLargerThanBudget(broker: RunningBroker, members: number): Promise<void> {
  const budget = broker.config.values['queued.max.requests'];
  expect(members).toBeGreaterThan(budget);
  const clients = await connectMany(broker, members);
  try {
    // The first join creates __consumer_offsets; it is retried while the coordinator is not ready, as clients do.
    const coordinatorNotReady: number[] = [ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE];
    let first = await join(clients[0]!, '');
    while (coordinatorNotReady.includes(first.errorCode)) first = await join(clients[0]!, '');
    const ids = [
      first.memberId,
      ...(await Promise.all(clients.slice(1).map(async (c) => (await join(c, '')).memberId))),
    ];
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(ids.every((id) => id !== '')).toBe(true);
    // Every JoinGroup parks until the last member's arrives; the join phase ends only once all were read.
    const joining = Promise.all(clients.map((c, i) => join(c, ids[i]!)));
    await vi.waitFor(() => expect(broker.groups.groupSnapshot(GROUP)!.state).toBe('CompletingRebalance'), { timeout: 10_000, interval: 20 });
    const joined = await joining;
    for (const r of joined) expect(r.errorCode).toBe(ErrorCode.NONE);
    const generation = joined[0]!.generationId;
    expect(new Set(joined.map((r) => r.generationId))).toEqual(new Set([generation]));
    const leader = joined.findIndex((r) => r.memberId === r.leader);
    expect(leader).toBeGreaterThanOrEqual(0);
    expect(joined[leader]!.members.map((m) => m.memberId).sort()).toEqual([...ids].sort());

    // The followers' SyncGroups all park (more of them than the budget) before the leader sends the assignment.
    const followers = clients.map((c, i) => (i === leader ? null : sync(c, ids[i]!, generation, [])));
    await vi.waitFor(() => expect(broker.groups.groupSnapshot(GROUP)!.members.filter((m) => m.awaitingSync)).toHaveLength(members - 1), { timeout: 10_000, interval: 20 });
    const assignments = ids.map((memberId, i) => ({ memberId, assignment: Buffer.from(`assignment ${i}`) }));
    const fromLeader = await sync(clients[leader]!, ids[leader]!, generation, assignments);
    expect(fromLeader.errorCode).toBe(ErrorCode.NONE);
    const synced = await Promise.all(followers.map((p, i) => p ?? Promise.resolve(fromLeader)));
    synced.forEach((r, i) => {
      expect(r.errorCode).toBe(ErrorCode.NONE);
      expect(r.assignment.toString()).toBe(`assignment ${i}`);
    });
    expect((await broker.waitForGroupState(GROUP, 'Stable', { members })).generationId).toBe(generation);
  } finally {
    for (const c of clients) c.close();
  }
}

describe('regression: parked requests do not hold the request budget (classic group of 1,000 never settled)', () => {
  it('queued.max.requests=20: a group of 60 members joins and syncs', async () => {
    const broker = await startBroker({ config: { 'queued.max.requests': '20' } });
    try {
      await groupLargerThanBudget(broker, 60);
    } finally {
      await broker.close();
    }
  });

  it('with the default budget: a group larger than queued.max.requests joins and syncs (bench/rebalance at 1,000)', async () => {
    const broker = await startBroker();
    try {
      await groupLargerThanBudget(broker, broker.config.values['queued.max.requests'] + 20);
    } finally {
      await broker.close();
    }
  });

  it('queued.max.requests=3: five fetches waiting for data do not keep out the produce they wait for', async () => {
    const broker = await startBroker({ config: { 'queued.max.requests': '3' } });
    const clients = await connectMany(broker, 6);
    try {
      const admin = clients[5]!;
      const created = await admin.request(CreateTopicsApi, 7, { topics: [{ name: 'waited', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
      expect(created.topics[0]!.errorCode).toBe(ErrorCode.NONE);
      const fetches = clients.slice(0, 5).map((c) =>
        c.request(FetchApi, 11, {
          replicaId: -1,
          maxWaitMs: REBALANCE_MS,
          minBytes: 1,
          maxBytes: 1024 * 1024,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [{ topic: 'waited', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1024 * 1024, logStartOffset: -1n }] }],
          forgottenTopicsData: [],
          rackId: '',
        }),
      );
      // All five are read (and wait) although only three requests fit the budget.
      await broker.requests.waitFor('Fetch', { count: 5 });
      const records = buildRecordBatchSync({ records: [{ key: null, value: Buffer.from('awaited'), timestamp: Date.now() }] });
      const produced = await admin.request(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'waited', partitionData: [{ index: 0, records }] }] });
      expect(produced.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
      for (const f of await Promise.all(fetches)) {
        const p = f.responses[0]!.partitions[0]!;
        expect(p.errorCode).toBe(ErrorCode.NONE);
        expect(p.highWatermark).toBe(1n);
      }
    } finally {
      for (const c of clients) c.close();
      await broker.close();
    }
  });
});
