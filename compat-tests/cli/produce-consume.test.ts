// `kafkalite produce` and `kafkalite consume` as real processes, with kafkajs
// on the other side: what the CLI writes, kafkajs reads exactly; what kafkajs
// writes, the CLI prints in each format.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompressionTypes, Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { uniqueTopic } from '../support/broker.js';
import { cliOk, runCli, spawnCli } from './run-cli.js';

interface Seen {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

// Every test spawns the CLI a few times (~1 s each, more on a loaded machine).
describe('kafkalite produce / consume', { timeout: 120_000 }, () => {
  let broker: RunningBroker;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let b: string[];

  beforeAll(async () => {
    // No initial rebalance delay: each group run below joins alone.
    broker = await startBroker({ config: { 'group.initial.rebalance.delay.ms': '0' } });
    b = ['--bootstrap', broker.bootstrap];
    kafka = new Kafka({ clientId: 'cli-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    producer = kafka.producer();
    await Promise.all([admin.connect(), producer.connect()]);
  });

  afterAll(async () => {
    await Promise.all([admin?.disconnect(), producer?.disconnect()]);
    await broker?.close();
  });

  /** Everything in the topic, read by a kafkajs consumer from the beginning. */
  async function readWithKafkajs(topic: string, expected: number): Promise<Seen[]> {
    const consumer = kafka.consumer({ groupId: uniqueTopic('reader'), maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: Seen[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            seen.push({
              partition,
              offset: message.offset,
              key: message.key?.toString() ?? null,
              value: message.value?.toString() ?? null,
              headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
            });
            if (seen.length === expected) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    return seen.sort((x, y) => x.partition - y.partition || Number(x.offset) - Number(y.offset));
  }

  it('a kafkajs consumer sees exactly what kafkalite produce wrote: keys, values, headers, partitions, compression', async () => {
    const topic = uniqueTopic('cli-produce');
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });

    // Lines with a key separator, headers on every record, one partition, gzip; then JSON lines with their own partitions.
    const [plain, json] = await Promise.all([
      runCli(
        ['produce', topic, ...b, '--key-separator', '::', '--header', 'src=cli', '--header', 'n=1', '--partition', '2', '--compression', 'gzip'],
        { stdin: 'k1::v1\nk2::v2 with :: inside\nk3::\n' },
      ),
      runCli(['produce', topic, ...b, '--json', '--acks', '1'], {
        stdin: [
          '{"key":"j1","value":"plain","partition":0,"headers":{"h":"x"}}',
          '{"value":{"nested":[1,2]},"partition":1}',
          '{"key":"j3","value":null,"partition":0}',
        ].join('\n'),
      }),
    ]);
    expect(plain).toEqual({ code: 0, stdout: '', stderr: `produced 3 record(s) to ${topic} (3 to partition 2)\n` });
    expect(json).toEqual({ code: 0, stdout: '', stderr: `produced 3 record(s) to ${topic} (2 to partition 0, 1 to partition 1)\n` });

    const seen = await readWithKafkajs(topic, 6);
    expect(seen.map(({ offset: _o, ...r }) => r)).toEqual([
      { partition: 0, key: 'j1', value: 'plain', headers: { h: 'x' } },
      { partition: 0, key: 'j3', value: null, headers: {} },
      { partition: 1, key: null, value: '{"nested":[1,2]}', headers: {} },
      { partition: 2, key: 'k1', value: 'v1', headers: { src: 'cli', n: '1' } },
      { partition: 2, key: 'k2', value: 'v2 with :: inside', headers: { src: 'cli', n: '1' } },
      { partition: 2, key: 'k3', value: '', headers: { src: 'cli', n: '1' } },
    ]);
  });

  it('snappy, lz4 and zstd batches from produce read back through consume', async () => {
    const topic = uniqueTopic('cli-codecs');
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
    const codecs = ['snappy', 'lz4', 'zstd'];
    await Promise.all(codecs.map((c, p) => cliOk(['produce', topic, ...b, '--compression', c, '--partition', String(p)], `${c}-1\n${c}-2\n`)));
    const out = await cliOk(['consume', topic, ...b, '--format', '%p %s\\n']);
    expect(out.split('\n').filter(Boolean).sort()).toEqual(['0 snappy-1', '0 snappy-2', '1 lz4-1', '1 lz4-2', '2 zstd-1', '2 zstd-2']);
  });

  it('keyed records land where kafkajs (Kafka\'s murmur2 partitioner) puts the same keys', async () => {
    const topic = uniqueTopic('cli-keys');
    await admin.createTopics({ topics: [{ topic, numPartitions: 5 }] });
    const keys = Array.from({ length: 20 }, (_, i) => `key-${i}`);
    await cliOk(['produce', topic, ...b, '--key-separator', '='], keys.map((k) => `${k}=cli`).join('\n'));
    await producer.send({ topic, messages: keys.map((k) => ({ key: k, value: 'kafkajs' })) });
    const seen = await readWithKafkajs(topic, 40);
    for (const k of keys) {
      const parts = seen.filter((s) => s.key === k).map((s) => s.partition);
      expect(parts, k).toHaveLength(2);
      expect(parts[0], k).toBe(parts[1]);
    }
  });

  it('kafkalite consume prints what kafkajs produced, in every format, from offsets and timestamps', async () => {
    const topic = uniqueTopic('cli-consume');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    await producer.send({
      topic,
      compression: CompressionTypes.GZIP,
      messages: [
        { partition: 0, key: 'a', value: 'one', headers: { trace: 't1' }, timestamp: '1700000000000' },
        { partition: 0, key: 'b', value: 'two', timestamp: '1700000001000' },
        { partition: 0, key: null, value: 'three', timestamp: '1700000002000' },
        { partition: 1, key: 'c', value: 'four', headers: { x: 'y', z: 'w' }, timestamp: '1700000003000' },
      ],
    });

    const [values, keyValues, json, template, fromOffset, fromTime, counted] = await Promise.all([
      cliOk(['consume', topic, ...b]),
      cliOk(['consume', topic, ...b, '--format', 'key=value', '--partition', '0']),
      cliOk(['consume', topic, ...b, '--json', '--partition', '1']),
      cliOk(['consume', topic, ...b, '--format', '%t|%p|%o|%T|%k|%s|%K|%S|%h|%%\\n']),
      cliOk(['consume', topic, ...b, '--from', '1', '--partition', '0', '--format', '%o:%s\\n']),
      cliOk(['consume', topic, ...b, '--from', '@2023-11-14T22:13:21Z', '--format', '%p/%o:%s\\n']),
      cliOk(['consume', topic, ...b, '--count', '2', '--partition', '0']),
    ]);
    expect(values.split('\n').filter(Boolean).sort()).toEqual(['four', 'one', 'three', 'two']);
    expect(keyValues).toBe('a=one\nb=two\nnull=three\n');
    expect(json.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([
      { topic, partition: 1, offset: 0, timestamp: 1700000003000, timestampType: 'CreateTime', key: 'c', value: 'four', headers: { x: 'y', z: 'w' } },
    ]);
    expect(template.split('\n').filter(Boolean).sort()).toEqual([
      `${topic}|0|0|1700000000000|a|one|1|3|trace=t1|%`,
      `${topic}|0|1|1700000001000|b|two|1|3||%`,
      `${topic}|0|2|1700000002000|null|three|-1|5||%`,
      `${topic}|1|0|1700000003000|c|four|1|4|x=y,z=w|%`,
    ]);
    expect(fromOffset).toBe('1:two\n2:three\n');
    // 2023-11-14T22:13:21Z is 1700000001000: partition 0 from offset 1, partition 1 from its only record.
    expect(fromTime.split('\n').filter(Boolean).sort()).toEqual(['0/1:two', '0/2:three', '1/0:four']);
    expect(counted).toBe('one\ntwo\n');
  });

  it('consume --group commits what it printed, and the next run goes on from there', async () => {
    const topic = uniqueTopic('cli-group');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await producer.send({ topic, messages: ['m0', 'm1', 'm2', 'm3', 'm4'].map((value) => ({ value })) });
    const group = uniqueTopic('cli-consumer-group');
    expect(await cliOk(['consume', topic, ...b, '--group', group, '--count', '2'])).toBe('m0\nm1\n');
    const offsets = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    expect(offsets[0]!.partitions).toEqual([{ partition: 0, offset: '2', metadata: null }]);
    expect(await cliOk(['consume', topic, ...b, '--group', group])).toBe('m2\nm3\nm4\n');
    const after = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    expect(after[0]!.partitions[0]!.offset).toBe('5');
  });

  it('consume --follow in a group prints new records until Ctrl-C, then commits and leaves', async () => {
    const topic = uniqueTopic('cli-follow');
    const group = uniqueTopic('cli-follow-group');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    const cli = spawnCli(['consume', topic, ...b, '--group', group, '--follow', '--format', '%p:%s\\n']);
    // Nothing committed: the member starts at the beginning (--from's default), whenever the records land.
    await broker.waitForGroupState(group, 'Stable', { members: 1 });
    await producer.send({ topic, messages: [{ partition: 0, value: 'a' }, { partition: 1, value: 'b' }, { partition: 0, value: 'c' }] });
    await cli.waitForStdout((out) => out.split('\n').filter(Boolean).length === 3);
    cli.proc.kill('SIGINT');
    const r = await cli.result;
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual(['0:a', '0:c', '1:b']);
    expect(r.stderr).toBe(`consumed 3 record(s) from ${topic}\n`);
    const offsets = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    expect(offsets[0]!.partitions.map((p) => [p.partition, p.offset]).sort()).toEqual([[0, '2'], [1, '1']]);
    expect((await admin.describeGroups([group])).groups[0]!.state).toBe('Empty');
  });
});
