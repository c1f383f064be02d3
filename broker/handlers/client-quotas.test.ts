// Issue 10: DescribeClientQuotas and AlterClientQuotas over real TCP, with
// @platformatic/kafka's admin (kafkajs has neither call) and the raw client for
// the inputs Kafka refuses, whose codes and messages are Kafka 3.9's.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Admin } from '@platformatic/kafka';
import { startBroker, type RunningBroker } from '../broker.js';
import { RawClient } from '../../test/support/raw-client.js';
import { AlterClientQuotasApi, type AlterClientQuotasRequestEntryData } from '../../protocol/messages/49-alter-client-quotas.js';
import { DescribeClientQuotasApi, type DescribeClientQuotasRequestComponentData } from '../../protocol/messages/48-describe-client-quotas.js';
import { ErrorCode } from '../../protocol/errors.js';
import { MemoryFileSystem } from '../../storage/fs-memory.js';

const EXACT = 0;
const DEFAULT = 1;
const SPECIFIED = 2;

type Entity = Record<string, string | null>;
type Described = { entity: { entityType: string; entityName?: string | null }[]; values: { key: string; value: number }[] };
const parts = (e: Entity) => Object.entries(e).map(([entityType, entityName]) => ({ entityType, entityName }));
const set = (entity: Entity, values: Record<string, number>): AlterClientQuotasRequestEntryData => ({
  entity: parts(entity),
  ops: Object.entries(values).map(([key, value]) => ({ key, value, remove: false })),
});
const remove = (entity: Entity, ...keys: string[]): AlterClientQuotasRequestEntryData => ({ entity: parts(entity), ops: keys.map((key) => ({ key, value: 0, remove: true })) });

/** Entities as sorted `type=name` strings with their values, for order-free comparison. */
function described(entries: Described[]) {
  return entries
    .map((e) => ({
      entity: e.entity.map((p) => `${p.entityType}=${p.entityName ?? '<default>'}`).sort().join(','),
      values: Object.fromEntries(e.values.map((v) => [v.key, v.value])),
    }))
    .sort((a, b) => (a.entity < b.entity ? -1 : a.entity > b.entity ? 1 : 0));
}

async function alter(client: RawClient, entries: AlterClientQuotasRequestEntryData[], validateOnly = false) {
  return (await client.request(AlterClientQuotasApi, 1, { entries, validateOnly })).entries;
}

async function describeRaw(client: RawClient, components: DescribeClientQuotasRequestComponentData[], strict = false) {
  return client.request(DescribeClientQuotasApi, 1, { components, strict });
}

describe('client quotas: AlterClientQuotas and DescribeClientQuotas', () => {
  let broker: RunningBroker;
  let client: RawClient;
  let admin: Admin;

  beforeAll(async () => {
    broker = await startBroker();
    client = await RawClient.connect(broker.host, broker.port);
    admin = new Admin({ clientId: 'quotas', bootstrapBrokers: [broker.bootstrap], retries: 0 });
  });
  afterAll(async () => {
    await admin.close();
    client.close();
    await broker.close();
  });

  it('@platformatic/kafka sets quotas on every entity shape and describes them through each match type', async () => {
    const results = await admin.alterClientQuotas({
      entries: [
        { entities: [{ entityType: 'user', entityName: 'alice' }], ops: [{ key: 'producer_byte_rate', value: 1024, remove: false }] },
        {
          entities: [{ entityType: 'user', entityName: 'alice' }, { entityType: 'client-id', entityName: 'app' }],
          ops: [{ key: 'consumer_byte_rate', value: 2048, remove: false }, { key: 'request_percentage', value: 12.5, remove: false }],
        },
        { entities: [{ entityType: 'user', entityName: null }], ops: [{ key: 'producer_byte_rate', value: 500, remove: false }] },
        { entities: [{ entityType: 'client-id', entityName: 'app' }], ops: [{ key: 'request_percentage', value: 3, remove: false }] },
      ],
    });
    expect(results.map((r) => r.errorCode)).toEqual([0, 0, 0, 0]);
    // The keys and the ip entity @platformatic/kafka's typings leave out go over the raw client.
    const raw = await alter(client, [
      set({ 'client-id': 'app' }, { controller_mutation_rate: 3 }),
      set({ ip: null }, { connection_creation_rate: 100 }),
      set({ ip: '10.1.2.3' }, { connection_creation_rate: 5 }),
    ]);
    expect(raw.map((r) => r.errorCode)).toEqual([0, 0, 0]);

    const all = described(await admin.describeClientQuotas({ components: [], strict: false }));
    expect(all).toEqual([
      { entity: 'client-id=app', values: { request_percentage: 3, controller_mutation_rate: 3 } },
      { entity: 'client-id=app,user=alice', values: { consumer_byte_rate: 2048, request_percentage: 12.5 } },
      { entity: 'ip=10.1.2.3', values: { connection_creation_rate: 5 } },
      { entity: 'ip=<default>', values: { connection_creation_rate: 100 } },
      { entity: 'user=<default>', values: { producer_byte_rate: 500 } },
      { entity: 'user=alice', values: { producer_byte_rate: 1024 } },
    ]);

    // EXACT, not strict: every entity naming alice; strict: alice alone.
    const alice = await admin.describeClientQuotas({ components: [{ entityType: 'user', matchType: EXACT, match: 'alice' }] });
    expect(described(alice).map((e) => e.entity)).toEqual(['client-id=app,user=alice', 'user=alice']);
    const aliceStrict = await admin.describeClientQuotas({ components: [{ entityType: 'user', matchType: EXACT, match: 'alice' }], strict: true });
    expect(described(aliceStrict).map((e) => e.entity)).toEqual(['user=alice']);

    // DEFAULT matches the default entity only; SPECIFIED any entity with that type (Kafka 3.9 counts the default one too).
    const defaults = await describeRaw(client, [{ entityType: 'user', matchType: DEFAULT, match: null }]);
    expect(described(defaults.entries!).map((e) => e.entity)).toEqual(['user=<default>']);
    const anyClient = await describeRaw(client, [{ entityType: 'client-id', matchType: SPECIFIED, match: null }]);
    expect(described(anyClient.entries!).map((e) => e.entity)).toEqual(['client-id=app', 'client-id=app,user=alice']);
    const anyClientStrict = await describeRaw(client, [{ entityType: 'client-id', matchType: SPECIFIED, match: null }], true);
    expect(described(anyClientStrict.entries!).map((e) => e.entity)).toEqual(['client-id=app']);
    const both = await describeRaw(client, [
      { entityType: 'user', matchType: SPECIFIED, match: null },
      { entityType: 'client-id', matchType: EXACT, match: 'app' },
    ], true);
    expect(described(both.entries!).map((e) => e.entity)).toEqual(['client-id=app,user=alice']);
    const anyIp = await describeRaw(client, [{ entityType: 'ip', matchType: SPECIFIED, match: null }]);
    expect(described(anyIp.entries!).map((e) => e.entity)).toEqual(['ip=10.1.2.3', 'ip=<default>']);
    expect((await describeRaw(client, [], true)).entries).toEqual([]);

    // Removing the last value removes the entity; removing what is not there is no error.
    expect((await alter(client, [remove({ user: 'alice' }, 'producer_byte_rate', 'consumer_byte_rate')]))[0].errorCode).toBe(ErrorCode.NONE);
    const after = await describeRaw(client, [{ entityType: 'user', matchType: EXACT, match: 'alice' }], true);
    expect(after.entries).toEqual([]);
  });

  it('validateOnly checks and changes nothing', async () => {
    const [r] = await alter(client, [set({ 'client-id': 'dry' }, { producer_byte_rate: 10 })], true);
    expect(r).toMatchObject({ errorCode: ErrorCode.NONE, errorMessage: null });
    const res = await describeRaw(client, [{ entityType: 'client-id', matchType: EXACT, match: 'dry' }]);
    expect(res.entries).toEqual([]);
    const [bad] = await alter(client, [set({ 'client-id': 'dry' }, { producer_byte_rate: -1 })], true);
    expect(bad).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Quota producer_byte_rate must be greater than 0' });
  });

  it('refuses what Kafka refuses, per entity, with its messages; the good entities in the same request apply', async () => {
    const results = await alter(client, [
      set({ user: 'u1' }, { connection_creation_rate: 5 }),
      set({ user: 'u2' }, { producer_byte_rate: 0 }),
      set({ user: 'u3' }, { producer_byte_rate: 10.5 }),
      set({ user: 'u4' }, { consumer_byte_rate: 2 ** 64 }),
      set({ ip: '10.0.0.1', user: 'u5' }, { connection_creation_rate: 5 }),
      set({ ip: null }, { producer_byte_rate: 5 }),
      set({ ip: null }, { connection_creation_rate: 2 ** 31 }),
      set({ group: 'g' }, { producer_byte_rate: 5 }),
      set({ user: '' }, { producer_byte_rate: 5 }),
      set({}, { producer_byte_rate: 5 }),
      set({ user: 'good' }, { producer_byte_rate: 100, request_percentage: 0.5 }),
      set({ 'client-id': 'twice' }, { producer_byte_rate: 5 }),
      set({ 'client-id': 'twice' }, { consumer_byte_rate: 5 }),
      {
        entity: parts({ user: 'dupkey' }),
        ops: [
          { key: 'producer_byte_rate', value: 1, remove: false },
          { key: 'producer_byte_rate', value: 2, remove: false },
        ],
      },
      set({ ip: 'no-such-host.invalid' }, { connection_creation_rate: 5 }),
    ]);
    const byEntity = (entity: string) => {
      const r = results.find((x) => x.entity.map((p) => `${p.entityType}=${p.entityName}`).sort().join(',') === entity);
      return r && { errorCode: r.errorCode, errorMessage: r.errorMessage };
    };
    const invalid = (errorMessage: string) => ({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage });
    expect(byEntity('user=u1')).toEqual(invalid('Invalid configuration key connection_creation_rate'));
    expect(byEntity('user=u2')).toEqual(invalid('Quota producer_byte_rate must be greater than 0'));
    expect(byEntity('user=u3')).toEqual(invalid('producer_byte_rate cannot be a fractional value.'));
    expect(byEntity('user=u4')).toEqual(invalid('Proposed value for consumer_byte_rate is too large for a LONG.'));
    expect(byEntity('ip=10.0.0.1,user=u5')).toEqual(invalid('Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId'));
    // The two ip=null entries are one entity: the second is a duplicate of the first (which set nothing).
    expect(byEntity('ip=null')).toEqual(invalid('Ignoring duplicate entity ClientQuotaEntity(entries={ip=null})'));
    expect(byEntity('group=g')).toEqual(invalid('Unhandled client quota entity type: group'));
    expect(byEntity('user=')).toEqual(invalid('Empty user not supported'));
    expect(byEntity('')).toEqual(invalid('Invalid empty client quota entity'));
    expect(byEntity('user=good')).toEqual({ errorCode: ErrorCode.NONE, errorMessage: null });
    expect(byEntity('client-id=twice')).toEqual(invalid('Ignoring duplicate entity ClientQuotaEntity(entries={client-id=twice})'));
    expect(byEntity('user=dupkey')).toEqual(invalid('Ignoring duplicate entity ClientQuotaEntity(entries={user=dupkey})'));
    expect(byEntity('ip=no-such-host.invalid')).toEqual(invalid('no-such-host.invalid is not a valid IP or resolvable host.'));
    expect(results).toHaveLength(13); // one result per distinct entity

    const all = described((await describeRaw(client, [])).entries!);
    // The good entity applied; so did the first of the duplicated client-id entries, as in Kafka.
    expect(all).toEqual(
      expect.arrayContaining([
        { entity: 'user=good', values: { producer_byte_rate: 100, request_percentage: 0.5 } },
        { entity: 'client-id=twice', values: { producer_byte_rate: 5 } },
      ]),
    );
    expect(all.map((e) => e.entity)).not.toContain('user=u1');
    expect(all.map((e) => e.entity)).not.toContain('user=dupkey');
  });

  it('DescribeClientQuotas refuses bad filters with Kafka\'s codes and messages and null entries', async () => {
    const cases: [DescribeClientQuotasRequestComponentData[], number, string][] = [
      [[{ entityType: '', matchType: EXACT, match: 'x' }], ErrorCode.INVALID_REQUEST, 'Invalid empty entity type.'],
      [[{ entityType: 'user', matchType: EXACT, match: 'a' }, { entityType: 'user', matchType: DEFAULT, match: null }], ErrorCode.INVALID_REQUEST, 'Entity type user cannot appear more than once in the filter.'],
      [[{ entityType: 'group', matchType: SPECIFIED, match: null }], ErrorCode.UNSUPPORTED_VERSION, 'Unsupported entity type group'],
      [[{ entityType: 'user', matchType: EXACT, match: null }], ErrorCode.INVALID_REQUEST, 'Request specified MATCH_TYPE_EXACT, but set match string to null.'],
      [[{ entityType: 'user', matchType: DEFAULT, match: 'a' }], ErrorCode.INVALID_REQUEST, 'Request specified MATCH_TYPE_DEFAULT, but also specified a match string.'],
      [[{ entityType: 'user', matchType: SPECIFIED, match: 'a' }], ErrorCode.INVALID_REQUEST, 'Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.'],
      [[{ entityType: 'user', matchType: 7, match: null }], ErrorCode.INVALID_REQUEST, 'Unknown match type 7'],
      [
        [{ entityType: 'ip', matchType: DEFAULT, match: null }, { entityType: 'client-id', matchType: SPECIFIED, match: null }],
        ErrorCode.INVALID_REQUEST,
        'Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.',
      ],
    ];
    for (const [components, errorCode, errorMessage] of cases) {
      expect(await describeRaw(client, components)).toEqual({ throttleTimeMs: 0, errorCode, errorMessage, entries: null });
    }
  });
});

describe('client quotas are kept with the cluster metadata', () => {
  it('survive a restart', async () => {
    const fs = new MemoryFileSystem();
    const first = await startBroker({ fs, dataDir: '/data' });
    const c1 = await RawClient.connect(first.host, first.port);
    expect((await alter(c1, [set({ user: 'kept', 'client-id': null }, { producer_byte_rate: 4096 }), set({ ip: null }, { connection_creation_rate: 7 })])).map((r) => r.errorCode)).toEqual([0, 0]);
    c1.close();
    await first.close();

    const second = await startBroker({ fs, dataDir: '/data' });
    const c2 = await RawClient.connect(second.host, second.port);
    try {
      expect(described((await describeRaw(c2, [])).entries!)).toEqual([
        { entity: 'client-id=<default>,user=kept', values: { producer_byte_rate: 4096 } },
        { entity: 'ip=<default>', values: { connection_creation_rate: 7 } },
      ]);
    } finally {
      c2.close();
      await second.close();
    }
  });
});
