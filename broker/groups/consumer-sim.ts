// A test driver over GroupCoordinatorState for consumer groups: feeds
// heartbeats and commits at a manual time, keeps the timers the machine asks for
// and fires them when time passes, and keeps every record written (through
// Kafka's encoding) so a test can replay them into a fresh state.

import { decodeCoordinatorRecord, encodeCoordinatorRecord } from '../offsets/records.js';
import { GroupCoordinatorState, type CoordinatorEvent } from './group-coordinator-state.js';
import type {
  ConsumerGroupConfigLookup,
  ConsumerGroupHeartbeatRequest,
  ConsumerGroupHeartbeatResult,
  TopicMetadataView,
  TopicPartitionList,
} from './consumer-types.js';
import type { ConsumerRebalanceSummary } from './consumer-rebalances.js';
import { consumerHeartbeat, flatPartitions, sequentialUuids } from './testing.js';
import { ErrorCode } from './types.js';
import { timerKey, type CoordinatorRecord, type GroupCoordinatorConfig, type GroupResponse, type StepOutput, type TimerId } from './types.js';

export class ConsumerSim {
  readonly state: GroupCoordinatorState;
  now = 1_700_000_000_000;
  readonly records: CoordinatorRecord[] = [];
  readonly rebalances: ConsumerRebalanceSummary[] = [];
  /** Every answer given so far, by request handle (parked requests are answered by later steps). */
  readonly answers = new Map<number, GroupResponse['body']>();
  private readonly timers = new Map<string, { timer: TimerId; deadline: number }>();
  private nextHandle = 1;

  constructor(
    readonly topics: TopicMetadataView,
    config: Partial<GroupCoordinatorConfig> = {},
    consumerGroupConfig?: ConsumerGroupConfigLookup,
  ) {
    this.state = new GroupCoordinatorState({ config, topics, newUuid: sequentialUuids(), consumerGroupConfig });
  }

  step(event: CoordinatorEvent): StepOutput {
    const out = this.state.step(event, this.now);
    for (const r of out.records) this.records.push(decodeCoordinatorRecord(...encoded(r))!);
    for (const op of out.timers) {
      if (op.op === 'set') this.timers.set(timerKey(op.timer), { timer: op.timer, deadline: op.deadline });
      else this.timers.delete(timerKey(op.timer));
    }
    this.rebalances.push(...out.consumerRebalances);
    for (const r of out.responses) this.answers.set(r.handle, r.body);
    return out;
  }

  private answer(make: (handle: number) => CoordinatorEvent): GroupResponse['body'] {
    const handle = this.nextHandle++;
    const out = this.step(make(handle));
    const r = out.responses.find((x) => x.handle === handle);
    if (r === undefined) throw new Error('no answer');
    return r.body;
  }

  heartbeat(req: ConsumerGroupHeartbeatRequest): ConsumerGroupHeartbeatResult {
    return this.answer((handle) => ({ type: 'consumer-heartbeat', handle, request: req })) as ConsumerGroupHeartbeatResult;
  }

  request(make: (handle: number) => CoordinatorEvent): GroupResponse['body'] {
    return this.answer(make);
  }

  /** Sends a request that may be parked; its answer shows up in `answers` under the returned handle. */
  send(make: (handle: number) => CoordinatorEvent): number {
    const handle = this.nextHandle++;
    this.step(make(handle));
    return handle;
  }

  /** Replays a record as if it had been loaded from the log, and keeps it for `replay`. */
  load(record: CoordinatorRecord): void {
    this.state.loadRecord(record);
    this.records.push(decodeCoordinatorRecord(...encoded(record))!);
  }

  /** Moves time forward, firing due timers in deadline order. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      let next: { key: string; timer: TimerId; deadline: number } | undefined;
      for (const [key, t] of this.timers) if (t.deadline <= end && (next === undefined || t.deadline < next.deadline)) next = { key, ...t };
      if (next === undefined) break;
      this.timers.delete(next.key);
      this.now = Math.max(this.now, next.deadline);
      this.step({ type: 'timer', timer: next.timer });
    }
    this.now = end;
  }

  hasTimer(timer: TimerId): boolean {
    return this.timers.has(timerKey(timer));
  }

  /** A fresh state rebuilt from every record written so far. */
  replay(): GroupCoordinatorState {
    const fresh = new GroupCoordinatorState({ topics: this.topics, config: this.state.config });
    for (const r of this.records) fresh.loadRecord(r);
    return fresh;
  }
}

function encoded(r: CoordinatorRecord): [Buffer, Buffer | null] {
  const e = encodeCoordinatorRecord(r);
  return [e.key, e.value];
}

/** A member of group "g" that behaves as @platformatic/kafka does: full heartbeats, reports what it was last given. */
export class SimMember {
  epoch = 0;
  owned: TopicPartitionList = [];
  last: ConsumerGroupHeartbeatResult | undefined;

  constructor(
    private readonly sim: ConsumerSim,
    readonly id: string,
    private readonly over: Partial<ConsumerGroupHeartbeatRequest> = {},
  ) {}

  beat(extra: Partial<ConsumerGroupHeartbeatRequest> = {}): ConsumerGroupHeartbeatResult {
    const res = this.sim.heartbeat(
      consumerHeartbeat('g', this.id, this.epoch, {
        subscribedTopicNames: ['t'],
        rebalanceTimeoutMs: 30_000,
        topicPartitions: this.owned,
        ...this.over,
        ...extra,
      }),
    );
    this.last = res;
    if (res.errorCode === ErrorCode.NONE) {
      this.epoch = res.memberEpoch;
      if (res.assignment !== null) this.owned = res.assignment;
    }
    return res;
  }

  get partitions(): string[] {
    return flatPartitions(this.owned, this.sim.topics);
  }
}
