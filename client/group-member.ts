// A member of a classic consumer group (protocol type "consumer", range
// assignor): JoinGroup (again with the member id the broker hands out when it
// answers MEMBER_ID_REQUIRED), the leader assigns, SyncGroup, then heartbeats
// every session/3 until it leaves. A heartbeat or commit that learns of a
// rebalance sets `rebalanceNeeded`; the consumer then joins again.
import { JoinGroupApi } from '../protocol/messages/11-join-group.js';
import { SyncGroupApi } from '../protocol/messages/14-sync-group.js';
import { HeartbeatApi } from '../protocol/messages/12-heartbeat.js';
import { LeaveGroupApi } from '../protocol/messages/13-leave-group.js';
import { ErrorCode } from '../protocol/errors.js';
import { KafkaError, throwIfError } from './errors.js';
import type { KafkaClient } from './kafka-client.js';
import { CONSUMER_PROTOCOL_TYPE, decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from './consumer-protocol.js';
import { RANGE_ASSIGNOR, rangeAssign } from './range-assignor.js';
import { commitOffsets, coordinatorCall, type Commit, type TopicPartition } from './offsets.js';

export interface GroupMemberOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly sessionTimeoutMs?: number;
  readonly rebalanceTimeoutMs?: number;
}

/** Errors after which the member must join again (its generation is gone). */
const REJOIN: ReadonlySet<number> = new Set([ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.ILLEGAL_GENERATION, ErrorCode.UNKNOWN_MEMBER_ID]);

export class GroupMember {
  generationId = -1;
  memberId = '';
  assignment: TopicPartition[] = [];
  rebalanceNeeded = false;
  /** A heartbeat failure that is not a rebalance (the consumer reports it). */
  failure: Error | null = null;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly sessionTimeoutMs: number;
  private readonly rebalanceTimeoutMs: number;

  constructor(
    private readonly client: KafkaClient,
    private readonly opts: GroupMemberOptions,
  ) {
    this.sessionTimeoutMs = opts.sessionTimeoutMs ?? 10_000;
    this.rebalanceTimeoutMs = opts.rebalanceTimeoutMs ?? 30_000;
  }

  /** Joins (or re-joins) the group; resolves with this member's partitions. */
  async join(): Promise<TopicPartition[]> {
    this.stopHeartbeats();
    for (;;) {
      this.rebalanceNeeded = false;
      const joined = await this.joinOnce();
      if (joined === 'retry') continue;
      const assignment = await this.sync(joined);
      if (assignment === 'retry') continue;
      this.assignment = assignment;
      this.startHeartbeats();
      return assignment;
    }
  }

  /** Commits with this member's generation; a lost generation asks for a rejoin instead of failing. */
  async commit(commits: readonly Commit[]): Promise<boolean> {
    if (commits.length === 0) return true;
    try {
      await commitOffsets(this.client, this.opts.groupId, commits, { generationId: this.generationId, memberId: this.memberId });
      return true;
    } catch (e) {
      if (e instanceof KafkaError && REJOIN.has(e.code)) {
        this.rebalanceNeeded = true;
        return false;
      }
      throw e;
    }
  }

  /** Leaves the group so the others get its partitions at once. */
  async leave(): Promise<void> {
    this.stopHeartbeats();
    if (this.memberId === '') return;
    const { groupId } = this.opts;
    const memberId = this.memberId;
    this.memberId = '';
    await coordinatorCall(this.client, groupId, async (conn) => {
      const v = conn.version(LeaveGroupApi);
      const res = await conn.send(LeaveGroupApi, v, v >= 3 ? { groupId, members: [{ memberId, groupInstanceId: null }] } : { groupId, memberId });
      // Leaving a group that already dropped us is fine.
      if (res.errorCode !== ErrorCode.UNKNOWN_MEMBER_ID) throwIfError(res.errorCode, `leave group "${groupId}"`);
    });
  }

  private async joinOnce(): Promise<{ leader: boolean; members: { memberId: string; metadata: Buffer }[]; protocolName: string } | 'retry'> {
    const { groupId } = this.opts;
    return coordinatorCall(this.client, groupId, async (conn) => {
      const v = conn.version(JoinGroupApi);
      const res = await conn.send(
        JoinGroupApi,
        v,
        {
          groupId,
          sessionTimeoutMs: this.sessionTimeoutMs,
          ...(v >= 1 ? { rebalanceTimeoutMs: this.rebalanceTimeoutMs } : {}),
          memberId: this.memberId,
          protocolType: CONSUMER_PROTOCOL_TYPE,
          protocols: [{ name: RANGE_ASSIGNOR, metadata: encodeSubscription(this.opts.topics) }],
        },
        // The coordinator parks JoinGroup up to the rebalance timeout (Kafka's clients allow 5 s more).
        this.rebalanceTimeoutMs + 5_000,
      );
      if (res.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        this.memberId = res.memberId;
        return 'retry' as const;
      }
      if (res.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
        this.memberId = '';
        return 'retry' as const;
      }
      throwIfError(res.errorCode, `join group "${groupId}"`);
      this.memberId = res.memberId;
      this.generationId = res.generationId;
      return {
        leader: res.leader === res.memberId && !res.skipAssignment,
        members: res.members.map((m) => ({ memberId: m.memberId, metadata: m.metadata })),
        protocolName: res.protocolName ?? RANGE_ASSIGNOR,
      };
    });
  }

  private async sync(joined: { leader: boolean; members: { memberId: string; metadata: Buffer }[]; protocolName: string }): Promise<TopicPartition[] | 'retry'> {
    const { groupId } = this.opts;
    let assignments: { memberId: string; assignment: Buffer }[] = [];
    if (joined.leader) {
      const subscribers = joined.members.map((m) => ({ memberId: m.memberId, topics: decodeSubscription(m.metadata).topics }));
      const topics = [...new Set(subscribers.flatMap((s) => s.topics))];
      const md = await this.client.metadata(topics);
      const counts = new Map(md.topics.filter((t) => t.errorCode === ErrorCode.NONE).map((t) => [t.name, t.partitions.length]));
      assignments = [...rangeAssign(subscribers, counts)].map(([memberId, tps]) => ({ memberId, assignment: encodeAssignment(tps) }));
    }
    return coordinatorCall(this.client, groupId, async (conn) => {
      const v = conn.version(SyncGroupApi);
      const res = await conn.send(
        SyncGroupApi,
        v,
        {
          groupId,
          generationId: this.generationId,
          memberId: this.memberId,
          ...(v >= 5 ? { protocolType: CONSUMER_PROTOCOL_TYPE, protocolName: joined.protocolName } : {}),
          assignments,
        },
        this.rebalanceTimeoutMs + 5_000,
      );
      if (REJOIN.has(res.errorCode)) {
        if (res.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
        return 'retry' as const;
      }
      throwIfError(res.errorCode, `sync group "${groupId}"`);
      return decodeAssignment(res.assignment);
    });
  }

  private startHeartbeats(): void {
    const beat = async (): Promise<void> => {
      try {
        await coordinatorCall(this.client, this.opts.groupId, async (conn) => {
          const res = await conn.request(HeartbeatApi, { groupId: this.opts.groupId, generationId: this.generationId, memberId: this.memberId });
          if (REJOIN.has(res.errorCode)) {
            if (res.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
            this.rebalanceNeeded = true;
            return;
          }
          throwIfError(res.errorCode, `heartbeat to group "${this.opts.groupId}"`);
        });
      } catch (e) {
        this.failure ??= e as Error;
      }
    };
    this.heartbeat = setInterval(() => void beat(), Math.max(100, Math.floor(this.sessionTimeoutMs / 3)));
    this.heartbeat.unref();
  }

  private stopHeartbeats(): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}
