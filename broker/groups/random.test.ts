// Randomized: many simulated consumers join, leave, crash (stop heartbeating),
// force rebalances, while the clock ticks or jumps. After every step:
// - within a generation no partition is handed to two members;
// - every member of a Stable group holds what the leader assigned it, and got a
//   JoinGroup answer for that generation (laggards never slip into a generation);
// - the group generation never goes down;
// - no request stays parked longer than the rebalance timeout;
// - only the error codes a real consumer must handle come back.
// At the end everyone leaves or dies: every request has been answered, the group is
// Empty, and replaying the records gives the same durable state.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { GroupCoordinator } from './coordinator.js';
import {
  bytes,
  decodeAssignment,
  durableView,
  encodeAssignment,
  flush,
  heartbeatRequest,
  joinRequest,
  roundRobin,
  sequentialUuids,
  syncRequest,
} from './testing.js';
import { ErrorCode, type CoordinatorRecord } from './types.js';

const G = 'random-group';
const PARTITIONS = 12;
const REBALANCE_MS = 5_000;
const TICK_MS = 500;

type Action =
  /** dies: crashes right after receiving its member id (leaves a pending member behind) */
  | { t: 'add'; apiVersion: number; dies?: boolean }
  | { t: 'leave'; idx: number }
  | { t: 'crash'; idx: number }
  | { t: 'rejoin'; idx: number }
  | { t: 'tick'; steps: number }
  | { t: 'jump'; ms: number };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('add' as const),
      apiVersion: fc.integer({ min: 3, max: 9 }),
      dies: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('leave' as const), idx: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('crash' as const), idx: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('rejoin' as const), idx: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('tick' as const), steps: fc.integer({ min: 1, max: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('jump' as const), ms: fc.integer({ min: 0, max: 12_000 }) }) },
);

const ALLOWED = {
  join: new Set<number>([ErrorCode.NONE, ErrorCode.MEMBER_ID_REQUIRED, ErrorCode.UNKNOWN_MEMBER_ID]),
  sync: new Set<number>([ErrorCode.NONE, ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.ILLEGAL_GENERATION, ErrorCode.UNKNOWN_MEMBER_ID]),
  heartbeat: new Set<number>([ErrorCode.NONE, ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.ILLEGAL_GENERATION, ErrorCode.UNKNOWN_MEMBER_ID]),
};

class World {
  readonly clock = new ManualClock(0);
  readonly records: CoordinatorRecord[] = [];
  readonly coord: GroupCoordinator;
  readonly clients: Client[] = [];
  /** generation -> member -> partitions, as the leader sent them */
  readonly plans = new Map<number, Map<string, number[]>>();
  /** generation -> partition -> member it was delivered to */
  readonly owners = new Map<number, Map<number, string>>();
  /** member -> last generation it got a JoinGroup answer for */
  readonly joinedGeneration = new Map<string, number>();
  pendingCreated = 0;
  rebalances = 0;
  settledStable = 0;
  readonly inflight = new Set<{ sentAt: number; what: string }>();
  readonly violations: string[] = [];
  lastGeneration = 0;

  constructor(
    initialDelayMs: number,
    readonly sessionMs: number,
  ) {
    this.coord = new GroupCoordinator({
      clock: this.clock,
      config: { initialRebalanceDelayMs: initialDelayMs, minSessionTimeoutMs: 1_000 },
      newUuid: sequentialUuids(),
      persist: (r) => void this.records.push(...r),
    });
  }

  send<T>(what: string, p: Promise<T>): Promise<T> {
    const entry = { sentAt: this.clock.now(), what };
    this.inflight.add(entry);
    return p.then((v) => {
      this.inflight.delete(entry);
      return v;
    });
  }

  delivered(generation: number, memberId: string, partitions: number[]): void {
    let owners = this.owners.get(generation);
    if (owners === undefined) this.owners.set(generation, (owners = new Map()));
    for (const p of partitions) {
      const prev = owners.get(p);
      if (prev !== undefined && prev !== memberId) this.violations.push(`gen ${generation}: partition ${p} to ${prev} and ${memberId}`);
      owners.set(p, memberId);
    }
  }

  check(): void {
    const s = this.coord.groupSnapshot(G);
    if (s !== undefined) {
      if (s.generationId < this.lastGeneration) this.violations.push(`generation went from ${this.lastGeneration} to ${s.generationId}`);
      this.lastGeneration = s.generationId;
      if (s.state === 'Stable') {
        const plan = this.plans.get(s.generationId);
        if (plan === undefined) this.violations.push(`Stable generation ${s.generationId} without a leader plan`);
        for (const m of s.members) {
          if (this.joinedGeneration.get(m.memberId) !== s.generationId) {
            this.violations.push(`gen ${s.generationId}: ${m.memberId} is a member but never rejoined for it`);
          }
          const want = plan?.get(m.memberId) ?? [];
          const got = decodeAssignment(m.assignment);
          if (JSON.stringify(want) !== JSON.stringify(got)) {
            this.violations.push(`gen ${s.generationId}: ${m.memberId} holds ${JSON.stringify(got)}, leader sent ${JSON.stringify(want)}`);
          }
        }
      }
    }
    const now = this.clock.now();
    for (const r of this.inflight) {
      if (now - r.sentAt > REBALANCE_MS) this.violations.push(`${r.what} parked for ${now - r.sentAt} ms`);
    }
  }

  async tick(ms: number, heartbeats: boolean): Promise<void> {
    this.clock.advance(ms);
    await flush();
    if (heartbeats) for (const c of this.clients) c.heartbeat();
    await flush();
    this.check();
  }
}

class Client {
  status: 'joining' | 'syncing' | 'stable' | 'left' | 'crashed' = 'joining';
  memberId = '';
  generation = -1;
  metadataVersion = 0;
  private hbInFlight = false;

  constructor(
    private readonly w: World,
    readonly name: string,
    private readonly apiVersion: number,
    private readonly diesAfterMemberId = false,
  ) {}

  get alive(): boolean {
    return this.status !== 'left' && this.status !== 'crashed';
  }

  join(): void {
    if (!this.alive) return;
    this.status = 'joining';
    const req = joinRequest(G, {
      memberId: this.memberId,
      apiVersion: this.apiVersion,
      clientId: this.name,
      sessionTimeoutMs: this.w.sessionMs,
      rebalanceTimeoutMs: REBALANCE_MS,
      protocols: [{ name: 'range', metadata: bytes(`${this.name}:${this.metadataVersion}`) }],
    });
    void this.w.send(`join ${this.name}`, this.w.coord.joinGroup(req)).then((r) => {
      if (!ALLOWED.join.has(r.errorCode)) this.w.violations.push(`join ${this.name}: error ${r.errorCode}`);
      // Answered by the coordinator, whether or not this client is still there to read it.
      if (r.errorCode === ErrorCode.NONE) this.w.joinedGeneration.set(r.memberId, r.generationId);
      if (!this.alive) return;
      if (r.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        this.memberId = r.memberId;
        if (this.diesAfterMemberId) {
          this.w.pendingCreated++;
          this.crash();
          return;
        }
        this.join();
      } else if (r.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
        this.memberId = '';
        this.join();
      } else if (r.errorCode === ErrorCode.NONE) {
        if (r.generationId < this.generation) this.w.violations.push(`${this.name} saw generation go back`);
        this.memberId = r.memberId;
        this.generation = r.generationId;
        this.status = 'syncing';
        let assignments: { memberId: string; assignment: Uint8Array }[] = [];
        if (r.leader === r.memberId) {
          const plan = roundRobin(
            r.members.map((m) => m.memberId),
            PARTITIONS,
          );
          if (this.w.plans.has(r.generationId)) this.w.violations.push(`two leaders in generation ${r.generationId}`);
          this.w.plans.set(r.generationId, plan);
          assignments = [...plan].map(([memberId, ps]) => ({ memberId, assignment: encodeAssignment(ps) }));
        }
        this.sync(assignments);
      }
    });
  }

  private sync(assignments: { memberId: string; assignment: Uint8Array }[]): void {
    const generation = this.generation;
    const memberId = this.memberId;
    void this.w.send(`sync ${this.name}`, this.w.coord.syncGroup(syncRequest(G, memberId, generation, { assignments }))).then((r) => {
      if (!ALLOWED.sync.has(r.errorCode)) this.w.violations.push(`sync ${this.name}: error ${r.errorCode}`);
      if (r.errorCode === ErrorCode.NONE) this.w.delivered(generation, memberId, decodeAssignment(r.assignment));
      if (!this.alive || this.generation !== generation || this.status !== 'syncing') return;
      if (r.errorCode === ErrorCode.NONE) this.status = 'stable';
      else this.onError(r.errorCode);
    });
  }

  heartbeat(): void {
    if (!this.alive || this.hbInFlight || (this.status !== 'stable' && this.status !== 'syncing')) return;
    this.hbInFlight = true;
    const generation = this.generation;
    void this.w.send(`heartbeat ${this.name}`, this.w.coord.heartbeat(heartbeatRequest(G, this.memberId, generation))).then((r) => {
      this.hbInFlight = false;
      if (!ALLOWED.heartbeat.has(r.errorCode)) this.w.violations.push(`heartbeat ${this.name}: error ${r.errorCode}`);
      if (!this.alive || this.status !== 'stable' || this.generation !== generation) return;
      if (r.errorCode !== ErrorCode.NONE) this.onError(r.errorCode);
    });
  }

  private onError(code: number): void {
    if (code === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
    this.join();
  }

  forceRejoin(): void {
    if (this.status !== 'stable') return;
    this.metadataVersion++;
    this.join();
  }

  leave(): void {
    if (!this.alive) return;
    this.status = 'left';
    if (this.memberId !== '') {
      void this.w.send(`leave ${this.name}`, this.w.coord.leaveGroup({ groupId: G, members: [{ memberId: this.memberId, groupInstanceId: null }] }));
    }
  }

  crash(): void {
    if (this.alive) this.status = 'crashed';
  }
}

async function run(actions: Action[], initialDelayMs: number, sessionMs: number): Promise<World> {
  const w = new World(initialDelayMs, sessionMs);
  w.coord.onRebalance(() => w.rebalances++);
  const pick = (idx: number) => {
    const alive = w.clients.filter((c) => c.alive);
    return alive.length === 0 ? undefined : alive[idx % alive.length];
  };
  for (const a of actions) {
    switch (a.t) {
      case 'add': {
        const c = new Client(w, `c${w.clients.length}`, a.apiVersion, a.dies === true);
        w.clients.push(c);
        c.join();
        break;
      }
      case 'leave':
        pick(a.idx)?.leave();
        break;
      case 'crash':
        pick(a.idx)?.crash();
        break;
      case 'rejoin':
        pick(a.idx)?.forceRejoin();
        break;
      case 'tick':
        for (let i = 0; i < a.steps; i++) await w.tick(TICK_MS, true);
        break;
      case 'jump':
        await w.tick(a.ms, false);
        break;
    }
    await flush();
    w.check();
  }
  // Let the group settle; a settled group must replay to the same durable state.
  for (let i = 0; i < 20; i++) await w.tick(TICK_MS, true);
  const settled = w.coord.groupSnapshot(G);
  if (settled !== undefined && (settled.state === 'Stable' || settled.state === 'Empty')) {
    w.settledStable += settled.state === 'Stable' ? 1 : 0;
    const replayed = new GroupCoordinator({ clock: new ManualClock(w.clock.now()), newUuid: sequentialUuids() });
    for (const r of w.records) replayed.loadRecord(r);
    if (JSON.stringify(durableView(replayed, G)) !== JSON.stringify(durableView(w.coord, G))) {
      w.violations.push(`replay differs: ${JSON.stringify(durableView(replayed, G))} vs ${JSON.stringify(durableView(w.coord, G))}`);
    }
    replayed.close();
  }
  // Then everyone goes away.
  for (const c of w.clients) c.leave();
  for (let i = 0; i < 40; i++) await w.tick(TICK_MS, false);
  return w;
}

describe('randomized rebalancing', () => {
  it('keeps the invariants through joins, leaves, crashes and clock jumps', async () => {
    const stats = { runs: 0, rebalances: 0, generations: 0, pending: 0, settledStable: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(actionArb, { minLength: 1, maxLength: 80, size: 'max' }),
        fc.constantFrom(0, 100, 1_000),
        // Sessions shorter and longer than the rebalance timeout: different paths remove the dead.
        fc.constantFrom(3_000, 8_000),
        async (actions, delay, sessionMs) => {
          const w = await run(actions, delay, sessionMs);
          stats.runs++;
          stats.rebalances += w.rebalances;
          stats.generations += w.lastGeneration;
          stats.pending += w.pendingCreated;
          stats.settledStable += w.settledStable;
          expect(w.violations).toEqual([]);
          expect(w.inflight.size).toBe(0);
          expect(w.coord.pendingRequestCount).toBe(0);
          const s = w.coord.groupSnapshot(G);
          if (s !== undefined) {
            expect(s.state).toBe('Empty');
            expect(s.members).toEqual([]);
            expect(s.pendingMemberIds).toEqual([]);
          }
          // Replaying what was persisted gives the same durable state.
          const replayed = new GroupCoordinator({ clock: new ManualClock(w.clock.now()), newUuid: sequentialUuids() });
          for (const r of w.records) replayed.loadRecord(r);
          replayed.finishLoading();
          expect(durableView(replayed, G)).toEqual(durableView(w.coord, G));
          replayed.close();
          w.coord.close();
        },
      ),
      { numRuns: Number(process.env['GROUPS_FC_RUNS'] ?? 100) },
    );
    if (process.env['GROUPS_FC_STATS']) console.log(JSON.stringify(stats));
    // The runs did exercise rebalancing (guards against a vacuous property).
    expect(stats.rebalances).toBeGreaterThan(stats.runs);
    expect(stats.pending).toBeGreaterThan(0);
    expect(stats.settledStable).toBeGreaterThan(stats.runs / 4);
  });

  it('a healthy group of 30 ends Stable with every partition owned exactly once', async () => {
    const actions: Action[] = [
      ...Array.from({ length: 30 }, (_, i): Action => ({ t: 'add', apiVersion: 3 + (i % 7) })),
      { t: 'tick', steps: 20 },
    ];
    const w = new World(1_000, 3_000);
    for (const a of actions) {
      if (a.t === 'add') {
        const c = new Client(w, `c${w.clients.length}`, a.apiVersion);
        w.clients.push(c);
        c.join();
      } else if (a.t === 'tick') {
        for (let i = 0; i < a.steps; i++) await w.tick(TICK_MS, true);
      }
    }
    expect(w.violations).toEqual([]);
    const s = w.coord.groupSnapshot(G)!;
    expect(s.state).toBe('Stable');
    expect(s.members).toHaveLength(30);
    const owned = s.members.flatMap((m) => decodeAssignment(m.assignment)).sort((x, y) => x - y);
    expect(owned).toEqual(Array.from({ length: PARTITIONS }, (_, i) => i));
    expect(w.clients.every((c) => c.status === 'stable')).toBe(true);
  });
});
