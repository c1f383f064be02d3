// `kafkalite topics`, `configs` and `cluster` checked against kafkajs admin,
// and bad input: clear one-line errors with the documented exit codes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { Kafka, logLevel, type Admin, ConfigResourceTypes } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { uniqueTopic } from '../support/broker.js';
import { cliJson, cliOk, runCli } from './run-cli.js';

/** A port nothing listens on: bound, then released. */
async function deadPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

// Every test spawns the CLI a few times (~1 s each, more on a loaded machine).
describe('kafkalite topics, configs, cluster', { timeout: 120_000 }, () => {
  let broker: RunningBroker;
  let admin: Admin;
  let b: string[];

  beforeAll(async () => {
    broker = await startBroker();
    b = ['--bootstrap', broker.bootstrap];
    admin = new Kafka({ clientId: 'cli-admin-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.disconnect();
    await broker?.close();
  });

  it('topics create, describe, alter and delete round-trip with kafkajs admin', async () => {
    const topic = uniqueTopic('cli-topic');
    expect(await cliOk(['topics', 'create', topic, '--partitions', '3', '--config', 'retention.ms=123456', ...b])).toBe(
      `created topic "${topic}" with 3 partition(s)\n`,
    );
    const md = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(md.topics[0]!.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
    const cfg = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }], includeSynonyms: false });
    expect(cfg.resources[0]!.configEntries.find((c) => c.configName === 'retention.ms')?.configValue).toBe('123456');

    const producer = new Kafka({ clientId: 'p', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ partition: 1, value: 'a' }, { partition: 1, value: 'b' }, { partition: 2, value: 'c' }] });
    await producer.disconnect();

    const [described, listed, again] = await Promise.all([
      cliJson<any[]>(['topics', 'describe', topic, ...b]),
      cliJson<any[]>(['topics', 'list', ...b]),
      runCli(['topics', 'create', topic, ...b]),
    ]);
    expect(described).toHaveLength(1);
    expect(described[0]).toMatchObject({ name: topic, topicId: expect.stringMatching(/^[0-9a-f-]{36}$/), internal: false, configs: { 'retention.ms': '123456' } });
    expect(described[0].partitions.map((p: any) => [p.partition, p.leader, p.earliestOffset, p.latestOffset, p.messages])).toEqual([
      [0, 0, 0, 0, 0],
      [1, 0, 0, 2, 2],
      [2, 0, 0, 1, 1],
    ]);
    expect(listed.find((t) => t.name === topic)).toEqual({ name: topic, topicId: described[0].topicId, partitions: 3, internal: false });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(new RegExp(`^kafkalite topics: create topic "${topic}": TOPIC_ALREADY_EXISTS.*\\n$`));
    const grown = await runCli(['topics', 'alter', topic, '--partitions', '5', ...b]);
    expect(grown).toEqual({ code: 0, stdout: `topic "${topic}" now has 5 partition(s)\n`, stderr: '' });
    expect((await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions).toHaveLength(5);

    expect(await cliOk(['topics', 'delete', topic, ...b])).toBe(`deleted topic "${topic}"\n`);
    expect(await admin.listTopics()).not.toContain(topic);
    const gone = await runCli(['topics', 'delete', topic, '--if-exists', ...b]);
    expect(gone).toEqual({ code: 0, stdout: `topic "${topic}" does not exist\n`, stderr: '' });
  });

  it('configs describe, cluster describe, and configs alter', async () => {
    const topic = uniqueTopic('cli-configs');
    await admin.createTopics({ topics: [{ topic, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
    const [topicConfigs, brokerConfigs, cluster] = await Promise.all([
      cliJson<any[]>(['configs', 'describe', '--topic', topic, ...b]),
      cliJson<any[]>(['configs', 'describe', '--broker', '0', ...b]),
      cliJson<any>(['cluster', 'describe', ...b]),
    ]);
    expect(topicConfigs.find((c) => c.name === 'cleanup.policy')).toMatchObject({ value: 'compact', source: 'DYNAMIC_TOPIC_CONFIG' });
    expect(topicConfigs.find((c) => c.name === 'retention.ms')).toMatchObject({ source: 'DEFAULT_CONFIG' });
    expect(brokerConfigs.find((c) => c.name === 'num.partitions')).toMatchObject({ value: '1' });
    expect(cluster).toEqual({
      clusterId: broker.clusterId,
      controllerId: 0,
      brokers: [{ nodeId: 0, host: broker.host, port: broker.port, rack: null, controller: true }],
    });
    const alter = await runCli(['configs', 'alter', '--topic', topic, '--set', 'retention.ms=1000', ...b]);
    expect(alter.code, alter.stderr).toBe(0);
    expect(alter.stdout).toBe(`altered 1 config(s) of topic "${topic}"\n`);
    const after = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: topic, configNames: ['retention.ms'] }] });
    expect(after.resources[0]!.configEntries[0]).toMatchObject({ configName: 'retention.ms', configValue: '1000' });
    // A broker config kafkalite cannot change at runtime: the broker's error, one line, exit 1.
    const refused = await runCli(['configs', 'alter', '--broker', '0', '--set', 'log.dirs=/elsewhere', ...b]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^kafkalite configs: .*INVALID_(REQUEST|CONFIG).*\n$/);
  });

  it('bad input: one clear line, the documented exit code, no stack trace (unless --debug)', async () => {
    const topic = uniqueTopic('cli-bad');
    await admin.createTopics({ topics: [{ topic }] });
    const down = ['--bootstrap', `127.0.0.1:${await deadPort()}`];
    const empty = uniqueTopic('cli-empty');
    await admin.createTopics({ topics: [{ topic: empty }] });
    // A few at a time: each is a process of its own.
    const [unknownTopic, badOffset, badFrom, badJson, noSeparator] = await Promise.all([
      runCli(['consume', 'no-such-topic', ...b]),
      runCli(['consume', empty, '--from', '42', ...b]),
      runCli(['consume', empty, '--from', 'yesterday', ...b]),
      runCli(['produce', topic, '--json', ...b], { stdin: '{"value":"ok"}\n{"value": nope}\n{"value":"after"}\n' }),
      runCli(['produce', topic, '--key-separator', '|', ...b], { stdin: 'k|v\nno separator here\n' }),
    ]);
    const [brokerDown, brokerDownDebug, badFlag, badFormat] = await Promise.all([
      runCli(['topics', 'list', ...down]),
      runCli(['groups', 'list', '--debug', ...down]),
      runCli(['topics', 'list', '--partitions-please', ...b]),
      runCli(['consume', topic, '--format', '%x', ...b]),
    ]);
    const oneLine = (r: { stderr: string }) => {
      expect(r.stderr.split('\n')).toHaveLength(2);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    };
    expect(unknownTopic.code).toBe(1);
    expect(unknownTopic.stderr).toBe('kafkalite consume: topic "no-such-topic": UNKNOWN_TOPIC_OR_PARTITION\n');
    expect(badOffset.code).toBe(1);
    expect(badOffset.stderr).toBe(`kafkalite consume: start at offset 42 of ${empty}-0: OFFSET_OUT_OF_RANGE (the partition holds offsets 0 to 0)\n`);
    expect(badFrom.code).toBe(2);
    oneLine(badFrom);
    expect(badFrom.stderr).toContain('--from must be beginning, end, an offset or @TIME');
    expect(badJson.code).toBe(1);
    oneLine(badJson);
    expect(badJson.stderr).toMatch(/^kafkalite produce: line 2: invalid JSON \(.*\); the 1 record\(s\) before it were produced\n$/);
    expect(noSeparator.code).toBe(1);
    expect(noSeparator.stderr).toBe('kafkalite produce: line 2: no key separator "|"; the 1 record(s) before it were produced\n');
    // The lines before the bad one were produced; the ones after it were not.
    expect((await cliOk(['consume', topic, ...b])).split('\n').filter(Boolean).sort()).toEqual(['ok', 'v']);
    expect(brokerDown.code).toBe(3);
    expect(brokerDown.stderr).toBe(`kafkalite topics: cannot connect to ${down[1]}: ECONNREFUSED\n`);
    expect(brokerDownDebug.code).toBe(3);
    expect(brokerDownDebug.stderr).toMatch(/^kafkalite groups: cannot connect to .*: ECONNREFUSED\nConnectionError: .*\n\s+at /);
    expect(badFlag.code).toBe(2);
    oneLine(badFlag);
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toBe('kafkalite consume: --format: unknown token "%x" (tokens: %t %p %o %T %k %s %K %S %h %%) (see kafkalite consume --help)\n');
    for (const r of [unknownTopic, badOffset, badJson, brokerDown, badFlag]) expect(r.stdout).toBe('');
  });
});
