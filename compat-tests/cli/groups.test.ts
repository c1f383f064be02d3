// `kafkalite groups` against a real kafkajs consumer group: describe shows the
// lag the group really has, reset-offsets refuses an active group, prints a plan
// by default, and with --execute moves a stopped group so it reads again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Admin, type Consumer } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { uniqueTopic } from '../support/broker.js';
import { cliJson, runCli } from './run-cli.js';

// Every test spawns the CLI a few times (~1 s each, more on a loaded machine).
describe('kafkalite groups', { timeout: 120_000 }, () => {
  let broker: RunningBroker;
  let kafka: Kafka;
  let admin: Admin;
  let b: string[];

  beforeAll(async () => {
    broker = await startBroker({ config: { 'group.initial.rebalance.delay.ms': '0' } });
    b = ['--bootstrap', broker.bootstrap];
    kafka = new Kafka({ clientId: 'cli-groups-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.disconnect();
    await broker?.close();
  });

  /** A kafkajs consumer in `groupId` that resolves `done` after `n` messages. */
  async function runConsumer(groupId: string, topic: string, n: number): Promise<{ consumer: Consumer; done: Promise<string[]> }> {
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: string[] = [];
    const done = new Promise<string[]>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            seen.push(`${partition}:${message.offset}`);
            if (seen.length === n) resolve(seen.sort());
          },
        })
        .catch(reject);
    });
    return { consumer, done };
  }

  it('describe shows members, assignments, committed offsets and lag; reset-offsets moves a stopped group back', async () => {
    const topic = uniqueTopic('cli-lag');
    const group = uniqueTopic('cli-lag-group');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ partition: i % 2, value: `v${i}` })) });
    await producer.disconnect();

    const first = await runConsumer(group, topic, 10);
    expect(await first.done).toHaveLength(10);
    // The group has read everything but commits only part of it: lag 2 on partition 0, none on 1.
    await first.consumer.commitOffsets([
      { topic, partition: 0, offset: '3' },
      { topic, partition: 1, offset: '5' },
    ]);
    await broker.waitForGroupState(group, 'Stable', { members: 1 });

    const [described, listed, refused] = await Promise.all([
      cliJson<any[]>(['groups', 'describe', group, ...b]),
      cliJson<any[]>(['groups', 'list', ...b]),
      runCli(['groups', 'reset-offsets', group, '--topic', topic, '--to-earliest', '--execute', ...b]),
    ]);
    const d = described[0];
    expect(d).toMatchObject({ groupId: group, state: 'Stable', protocolType: 'consumer', totalLag: 2 });
    expect(d.members).toHaveLength(1);
    expect(d.members[0].clientId).toBe('cli-groups-test');
    expect(d.members[0].assignment).toEqual([
      { topic, partition: 0 },
      { topic, partition: 1 },
    ]);
    const memberId = d.members[0].memberId;
    expect(d.partitions).toEqual([
      { topic, partition: 0, committedOffset: 3, endOffset: 5, lag: 2, memberId, clientId: 'cli-groups-test' },
      { topic, partition: 1, committedOffset: 5, endOffset: 5, lag: 0, memberId, clientId: 'cli-groups-test' },
    ]);
    expect(listed).toContainEqual({ groupId: group, protocolType: 'consumer', state: 'Stable' });
    // Kafka's rule: an active group's offsets are not reset.
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `kafkalite groups: offsets of group "${group}" can only be reset while it is inactive, but its state is Stable (stop its consumers first)\n`,
    );

    await first.consumer.disconnect();
    await broker.waitForGroupState(group, 'Empty');

    // Without --execute: the plan only. Other specs are planned alongside.
    const plan = (args: string[]) => cliJson<any>(['groups', 'reset-offsets', group, '--topic', topic, ...args, ...b]);
    const [earliest, shifted, toOffset, toTime, onePartition] = await Promise.all([
      plan(['--to-earliest']),
      plan(['--shift-by=-1']),
      plan(['--to-offset', '4']),
      plan(['--to-datetime', String(Date.now() + 3_600_000)]),
      cliJson<any>(['groups', 'reset-offsets', group, '--topic', `${topic}:1`, '--shift-by', '7', ...b]),
    ]);
    const newOffsets = (p: any) => p.partitions.map((x: any) => [x.partition, x.currentOffset, x.newOffset]);
    expect(earliest.executed).toBe(false);
    expect(newOffsets(earliest)).toEqual([[0, 3, 0], [1, 5, 0]]);
    expect(newOffsets(shifted)).toEqual([[0, 3, 2], [1, 5, 4]]);
    expect(newOffsets(toOffset)).toEqual([[0, 3, 4], [1, 5, 4]]);
    // No record that recent: the end.
    expect(newOffsets(toTime)).toEqual([[0, 3, 5], [1, 5, 5]]);
    // Beyond the end: clamped to it.
    expect(newOffsets(onePartition)).toEqual([[1, 5, 5]]);
    const unchanged = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    expect(unchanged[0]!.partitions.map((p) => p.offset).sort()).toEqual(['3', '5']);

    const executed = await cliJson<any>(['groups', 'reset-offsets', group, '--all-topics', '--to-earliest', '--execute', ...b]);
    expect(executed.executed).toBe(true);
    const reset = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    expect(reset[0]!.partitions.map((p) => p.offset)).toEqual(['0', '0']);

    // The stopped group, started again, reads everything again from its committed offsets.
    const second = await runConsumer(group, topic, 10);
    expect(await second.done).toEqual(await first.done);
    await second.consumer.disconnect();
    await broker.waitForGroupState(group, 'Empty');

    const deleted = await runCli(['groups', 'delete', group, ...b]);
    expect(deleted).toEqual({ code: 0, stdout: `deleted group "${group}"\n`, stderr: '' });
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain(group);
  });
});
