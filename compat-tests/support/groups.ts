// Helpers for consumer-group scenarios: waiting for a group to settle (the broker
// hook on kafkalite, DescribeGroups polling against any other broker) and a
// condition that is re-checked whenever the test's own events say something changed.
import type { Admin } from 'kafkajs';
import type { TestBroker } from './broker.js';

/**
 * Resolves once the group is Stable with `members` members. On kafkalite this is
 * the broker's own hook; elsewhere DescribeGroups is polled.
 */
export async function awaitStableGroup(broker: TestBroker, admin: Admin, groupId: string, members: number, timeoutMs = 30_000): Promise<void> {
  if (broker.kafkalite) {
    await broker.kafkalite.waitForGroupState(groupId, 'Stable', { members, timeoutMs });
    return;
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { groups } = await admin.describeGroups([groupId]);
    if (groups[0]?.state === 'Stable' && groups[0].members.length === members) return;
    if (Date.now() > deadline) throw new Error(`group ${groupId} not Stable with ${members} members within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A condition re-evaluated on demand: `changed()` is called from event handlers
 * (a message consumed, a group joined) and `until(pred)` resolves as soon as the
 * predicate holds, or rejects after the timeout with `what` in the message.
 */
/** Short group timeouts for tests (the consumer protocol's bounds are broker configs, as in Kafka). */
export const FAST_GROUPS = {
  'group.consumer.min.session.timeout.ms': '500',
  'group.consumer.session.timeout.ms': '1500',
  'group.consumer.min.heartbeat.interval.ms': '50',
  'group.consumer.heartbeat.interval.ms': '100',
  'group.initial.rebalance.delay.ms': '0',
  'group.min.session.timeout.ms': '500',
};

export class Condition {
  private waiters = new Set<() => void>();

  changed(): void {
    for (const w of [...this.waiters]) w();
  }

  until(pred: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!pred()) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }
}

export interface ChildMember {
  readonly process: import('node:child_process').ChildProcess;
  /** The last join the child reported. */
  readonly lastJoin: { memberId: string; assignment: Record<string, number[]> } | null;
  readonly messages: { partition: number; offset: string; value: string }[];
}

/**
 * Starts a group member (kafkajs or @platformatic/kafka) in a child process, to be
 * killed with SIGKILL; `cond.changed()` is called on every line it reports.
 */
export async function spawnGroupMember(opts: {
  library: 'kafkajs' | 'platformatic';
  bootstrap: string;
  groupId: string;
  topic: string;
  clientId: string;
  sessionMs: number;
  cond: Condition;
  /** platformatic only: 'consumer' for a KIP-848 member (the broker's session timeout applies). */
  groupProtocol?: 'classic' | 'consumer';
}): Promise<ChildMember> {
  const { fork } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const child = fork(fileURLToPath(new URL('./group-member.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: {
      ...process.env,
      MEMBER_LIBRARY: opts.library,
      MEMBER_BROKERS: opts.bootstrap,
      MEMBER_GROUP: opts.groupId,
      MEMBER_TOPIC: opts.topic,
      MEMBER_CLIENT_ID: opts.clientId,
      MEMBER_SESSION_MS: String(opts.sessionMs),
      MEMBER_GROUP_PROTOCOL: opts.groupProtocol ?? 'classic',
    },
  });
  const state: { process: typeof child; lastJoin: ChildMember['lastJoin']; messages: ChildMember['messages'] } = {
    process: child,
    lastJoin: null,
    messages: [],
  };
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      let e: { event: string; memberId: string; assignment: Record<string, number[]>; partition: number; offset: string; value: string };
      try {
        e = JSON.parse(line);
      } catch {
        continue;
      }
      if (e.event === 'join') state.lastJoin = { memberId: e.memberId, assignment: e.assignment };
      else if (e.event === 'message') state.messages.push({ partition: e.partition, offset: e.offset, value: e.value });
      opts.cond.changed();
    }
  });
  return state;
}
