// librdkafka's balanced consumer (`kcat -G`) in consumer groups over real TCP:
// partitions shared out and every message read once, a member joining moves
// partitions, a member killed with SIGKILL (no LeaveGroup) loses its partitions
// after its session timeout, and a group restarted resumes from its commits.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { Kafka, logLevel, AssignerProtocol, type Admin, type Producer } from 'kafkajs';
import { testBroker, uniqueTopic, type TestBroker } from '../support/broker.js';
import { kcatVersion } from '../support/kcat.js';
import { awaitStableGroup, Condition } from '../support/groups.js';

interface Read {
  member: string;
  partition: number;
  offset: number;
  value: string;
}

class KcatMember {
  readonly process: ChildProcess;
  stderr = '';
  readonly exited: Promise<number | null>;
  private buffered = '';

  constructor(
    readonly name: string,
    bootstrap: string,
    groupId: string,
    topic: string,
    sessionMs: number,
    reads: Read[],
    cond: Condition,
    extra: string[] = [],
  ) {
    this.process = spawn('kcat', [
      '-b', bootstrap,
      '-G', groupId,
      '-X', `client.id=${name}`,
      '-X', 'auto.offset.reset=earliest',
      '-X', `session.timeout.ms=${sessionMs}`,
      '-X', 'heartbeat.interval.ms=100',
      '-X', 'auto.commit.interval.ms=100',
      '-X', 'fetch.wait.max.ms=100',
      '-f', '%p %o %s\\n',
      '-q',
      '-u', // unbuffered: lines arrive as messages are read, not at exit
      ...extra,
      topic,
    ]);
    this.process.stdout!.on('data', (chunk: Buffer) => {
      this.buffered += chunk.toString();
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        const [p, o, value] = this.buffered.slice(0, nl).split(' ');
        this.buffered = this.buffered.slice(nl + 1);
        reads.push({ member: name, partition: Number(p), offset: Number(o), value: value ?? '' });
        cond.changed();
      }
    });
    this.process.stderr!.on('data', (chunk: Buffer) => void (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.process.once('exit', (code) => resolve(code)));
  }

  /** Graceful stop: kcat closes its consumer (final commit, LeaveGroup). */
  async stop(): Promise<void> {
    if (this.process.exitCode === null) this.process.kill('SIGTERM');
    await this.exited;
  }
}

describe.skipIf(!kcatVersion())('kcat -G balanced consumer groups', () => {
  let broker: TestBroker;
  let admin: Admin;
  let producer: Producer;
  let sessionMs: number;
  const members: KcatMember[] = [];

  beforeAll(async () => {
    broker = await testBroker({ config: { 'group.initial.rebalance.delay.ms': '0', 'group.min.session.timeout.ms': '500' } });
    sessionMs = broker.kafkalite ? 1_500 : 6_000;
    const kafka = new Kafka({ clientId: 'compat-kcat-groups', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
  });

  afterAll(async () => {
    for (const m of members) m.process.kill('SIGKILL');
    await Promise.all(members.map((m) => m.exited));
    await producer?.disconnect();
    await admin?.disconnect();
    await broker?.close();
  });

  function start(name: string, groupId: string, topic: string, reads: Read[], cond: Condition, extra: string[] = []): KcatMember {
    const m = new KcatMember(name, broker.bootstrap, groupId, topic, sessionMs, reads, cond, extra);
    members.push(m);
    return m;
  }

  async function produce(topic: string, partitions: number, perPartition: number, tag: string): Promise<string[]> {
    const messages = [];
    for (let p = 0; p < partitions; p++) for (let i = 0; i < perPartition; i++) messages.push({ partition: p, value: `${tag}-${p}-${i}` });
    await producer.send({ topic, messages });
    return messages.map((m) => m.value);
  }

  /** Partition -> client id of its owner, from the group's current assignment (DescribeGroups). */
  async function owners(groupId: string, topic: string): Promise<Map<number, string>> {
    const { groups } = await admin.describeGroups([groupId]);
    const out = new Map<number, string>();
    for (const m of groups[0]!.members) {
      const a = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
      for (const p of a?.assignment[topic] ?? []) {
        expect(out.has(p), `partition ${p} assigned twice`).toBe(false);
        out.set(p, m.clientId);
      }
    }
    return out;
  }

  const distinct = (reads: readonly Read[], prefix: string) => new Set(reads.filter((r) => r.value.startsWith(prefix)).map((r) => r.value)).size;

  it('3 members share 6 partitions 2 each and read every message once; a 4th joining moves partitions', async () => {
    const topic = uniqueTopic('kcat-share');
    const groupId = `g-${topic}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 6 }] });
    const cond = new Condition();
    const reads: Read[] = [];

    for (const name of ['k1', 'k2', 'k3']) start(name, groupId, topic, reads, cond);
    await awaitStableGroup(broker, admin, groupId, 3);
    const before = await owners(groupId, topic);
    expect(before.size).toBe(6);
    expect([...new Set(before.values())].map((c) => [...before.values()].filter((x) => x === c).length)).toEqual([2, 2, 2]);

    const a = await produce(topic, 6, 20, 'a');
    await cond.until(() => distinct(reads, 'a-') === a.length, 'phase a read');
    const readA = reads.filter((r) => r.value.startsWith('a-'));
    expect(readA).toHaveLength(a.length);
    for (const r of readA) expect(before.get(r.partition)).toBe(r.member);

    start('k4', groupId, topic, reads, cond);
    await awaitStableGroup(broker, admin, groupId, 4);
    const after = await owners(groupId, topic);
    expect([...after.values()].sort()).toHaveLength(6);
    expect(new Set(after.values()).size).toBe(4);
    expect([...after].filter(([p, owner]) => before.get(p) !== owner).length).toBeGreaterThanOrEqual(1);

    const c = await produce(topic, 6, 20, 'c');
    await cond.until(() => distinct(reads, 'c-') === c.length, 'phase c read');
    const readC = reads.filter((r) => r.value.startsWith('c-'));
    expect(readC).toHaveLength(c.length);
    for (const r of readC) expect(after.get(r.partition)).toBe(r.member);
  });

  it('a member killed with SIGKILL loses its partitions once its session times out', async () => {
    const topic = uniqueTopic('kcat-kill');
    const groupId = `g-${topic}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
    const cond = new Condition();
    const reads: Read[] = [];

    const victim = start('victim', groupId, topic, reads, cond);
    start('survivor', groupId, topic, reads, cond);
    await awaitStableGroup(broker, admin, groupId, 2);
    expect(new Set((await owners(groupId, topic)).values())).toEqual(new Set(['victim', 'survivor']));

    const killedAt = Date.now();
    victim.process.kill('SIGKILL');
    await awaitStableGroup(broker, admin, groupId, 1);
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(sessionMs - 200);
    const after = await owners(groupId, topic);
    expect([...after.values()]).toEqual(['survivor', 'survivor', 'survivor', 'survivor']);
    if (broker.kafkalite) {
      expect(broker.kafkalite.groups.rebalanceHistory(groupId).at(-1)!.reasons.map((r) => r.kind)).toContain('session-timeout');
    }

    const k = await produce(topic, 4, 5, 'k');
    await cond.until(() => distinct(reads.filter((r) => r.member === 'survivor'), 'k-') === k.length, 'survivor reading every partition');
  });

  it('a group stopped and restarted resumes from its committed offsets', async () => {
    const topic = uniqueTopic('kcat-resume');
    const groupId = `g-${topic}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
    const cond = new Condition();
    const reads: Read[] = [];

    const first = await produce(topic, 3, 10, 'first');
    const m1 = start('first', groupId, topic, reads, cond);
    await cond.until(() => distinct(reads, 'first-') === first.length, 'first batch read');
    await m1.stop();
    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(offsets[0]!.partitions.map((p) => p.offset)).toEqual(['10', '10', '10']);

    const second = await produce(topic, 3, 5, 'second');
    const m2 = start('second', groupId, topic, reads, cond);
    await cond.until(() => distinct(reads, 'second-') === second.length, 'second batch read');
    expect(reads.filter((r) => r.member === 'second' && r.value.startsWith('first-'))).toEqual([]);
    await m2.stop();
    expect((await admin.describeGroups([groupId])).groups[0]!.state).toBe('Empty');
  });
});
