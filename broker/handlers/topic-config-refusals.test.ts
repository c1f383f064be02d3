// Issue 10: Kafka 3.9 topic configs kafkalite cannot honour (tiered storage,
// preallocation, replication throttles, LZ4HC levels) are listed with Kafka's
// default and refuse any other value with INVALID_CONFIG, through CreateTopics
// and AlterConfigs over TCP; their broker synonyms refuse it at startup.
// unclean.leader.election.enable takes both values (one in-sync replica per
// partition: there is never an unclean election to allow or forbid).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Kafka, logLevel, ConfigResourceTypes, type Admin } from 'kafkajs';
import { startBroker, type RunningBroker } from '../broker.js';
import { validateTopicConfigs } from '../config.js';

const REFUSED: [name: string, value: string, why: RegExp][] = [
  ['preallocate', 'true', /does not preallocate/],
  ['local.retention.ms', '1000', /Tiered storage/],
  ['local.retention.bytes', '1000', /Tiered storage/],
  ['remote.storage.enable', 'true', /Tiered storage/],
  ['remote.log.copy.disable', 'true', /Tiered storage/],
  ['remote.log.delete.on.disable', 'true', /Tiered storage/],
  ['leader.replication.throttled.replicas', '0:0', /one replica/],
  ['follower.replication.throttled.replicas', '*', /one replica/],
  ['compression.lz4.level', '1', /LZ4HC/],
  ['compression.lz4.level', '18', /compression.lz4.level/],
];

/** Kafka's defaults of the same configs, which are accepted. */
const ACCEPTED: [name: string, value: string][] = [
  ['preallocate', 'false'],
  ['local.retention.ms', '-2'],
  ['local.retention.bytes', '-2'],
  ['remote.log.copy.disable', 'false'],
  ['remote.log.delete.on.disable', 'false'],
  ['leader.replication.throttled.replicas', ''],
  ['compression.lz4.level', '9'],
  ['unclean.leader.election.enable', 'true'],
];

describe('topic configs kafkalite cannot honour', () => {
  let broker: RunningBroker;
  let admin: Admin;
  let n = 0;
  const topic = () => `refusals-${n++}`;

  beforeAll(async () => {
    broker = await startBroker({ memory: true });
    admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.disconnect();
    await broker?.close();
  });

  it.each(REFUSED)('CreateTopics refuses %s=%s with INVALID_CONFIG, saying why', async (name, value, why) => {
    const t = topic();
    await expect(admin.createTopics({ topics: [{ topic: t, configEntries: [{ name, value }] }] })).rejects.toMatchObject({
      errors: [expect.objectContaining({ type: 'INVALID_CONFIG' })],
    });
    expect((await admin.listTopics()).includes(t)).toBe(false);
    // kafkajs shows only the code's description; the broker's message is the validator's.
    expect(validateTopicConfigs({ [name]: value })?.errorMessage).toMatch(why);
  });

  it.each(REFUSED)('AlterConfigs refuses %s=%s with INVALID_CONFIG and keeps the default', async (name, value) => {
    const t = topic();
    await admin.createTopics({ topics: [{ topic: t }] });
    await expect(
      admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: t, configEntries: [{ name, value }] }] }),
    ).rejects.toMatchObject({ type: 'INVALID_CONFIG' });
    const res = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: t, configNames: [name] }], includeSynonyms: false });
    expect(res.resources[0]!.configEntries[0]).toMatchObject({ configName: name, configSource: 5 });
  });

  it('accepts Kafka\'s defaults of those configs, and both values of unclean.leader.election.enable', async () => {
    const t = topic();
    await admin.createTopics({ topics: [{ topic: t, configEntries: ACCEPTED.map(([name, value]) => ({ name, value })) }] });
    const res = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: t, configNames: ACCEPTED.map(([k]) => k) }], includeSynonyms: false });
    const got = new Map(res.resources[0]!.configEntries.map((e) => [e.configName, e]));
    for (const [name, value] of ACCEPTED) expect(got.get(name)).toMatchObject({ configValue: value, configSource: 1 });
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: t, configEntries: [{ name: 'unclean.leader.election.enable', value: 'false' }] }],
    });
  });

  it.each([
    ['log.preallocate', 'true'],
    ['log.local.retention.ms', '1000'],
    ['log.local.retention.bytes', '1000'],
    ['compression.lz4.level', '4'],
  ])('a broker with %s=%s does not start', async (name, value) => {
    await expect(startBroker({ memory: true, config: { [name]: value } })).rejects.toThrow(name);
  });
});
