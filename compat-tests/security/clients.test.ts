// Issue 11: unmodified kafkajs and @platformatic/kafka over SSL, SASL_PLAINTEXT and
// SASL_SSL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512), each listener of one broker at
// once: produce, consume, the broker address of the listener connected to, wrong
// passwords with Kafka's messages, and SCRAM credentials changed at runtime.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers, type SASLOptions as PlatformaticSasl } from '@platformatic/kafka';
import type { ConnectionOptions } from 'node:tls';
import { secureBroker, PLAIN_USERS, SCRAM_USERS } from '../support/secure-broker.js';
import { uniqueTopic } from '../support/broker.js';
import { RawClient } from '../../test/support/raw-client.js';
import { AlterUserScramCredentialsApi } from '../../protocol/messages/51-alter-user-scram-credentials.js';
import { DescribeUserScramCredentialsApi } from '../../protocol/messages/50-describe-user-scram-credentials.js';
import { saltedPassword } from '../../broker/security/sasl/scram.js';
import { ErrorCode } from '../../protocol/errors.js';

let broker: Awaited<ReturnType<typeof secureBroker>>;

beforeAll(async () => {
  broker = await secureBroker();
});
afterAll(async () => {
  await broker?.close();
});

interface Case {
  name: string;
  listener: string;
  tls: boolean;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
}

const CASES: Case[] = [
  { name: 'SSL', listener: 'SSL', tls: true },
  { name: 'SASL_PLAINTEXT PLAIN', listener: 'SASL_PLAINTEXT', tls: false, sasl: { mechanism: 'plain', username: 'alice', password: PLAIN_USERS.alice } },
  { name: 'SASL_PLAINTEXT SCRAM-SHA-256', listener: 'SASL_PLAINTEXT', tls: false, sasl: { mechanism: 'scram-sha-256', username: 'bob', password: SCRAM_USERS.bob } },
  { name: 'SASL_SSL PLAIN', listener: 'SASL_SSL', tls: true, sasl: { mechanism: 'plain', username: 'alice', password: PLAIN_USERS.alice } },
  { name: 'SASL_SSL SCRAM-SHA-256', listener: 'SASL_SSL', tls: true, sasl: { mechanism: 'scram-sha-256', username: 'bob', password: SCRAM_USERS.bob } },
  { name: 'SASL_SSL SCRAM-SHA-512', listener: 'SASL_SSL', tls: true, sasl: { mechanism: 'scram-sha-512', username: 'bob', password: SCRAM_USERS.bob } },
];

function kafkajs(c: Case, over: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: 'sec-kafkajs',
    brokers: [`localhost:${broker.portOf(c.listener)}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    ...(c.tls ? { ssl: { ca: [broker.tls!.ca] } } : {}),
    ...(c.sasl ? { sasl: c.sasl as SASLOptions } : {}),
    ...over,
  });
}

function platformaticOptions(c: Case, sasl = c.sasl) {
  return {
    clientId: 'sec-platformatic',
    bootstrapBrokers: [`localhost:${broker.portOf(c.listener)}`],
    retries: 0,
    ...(c.tls ? { tls: { ca: broker.tls!.ca } satisfies ConnectionOptions } : {}),
    ...(sasl ? { sasl: { mechanism: sasl.mechanism.toUpperCase(), username: sasl.username, password: sasl.password } as PlatformaticSasl } : {}),
  };
}

describe('kafkajs over secured listeners', () => {
  for (const c of CASES) {
    it(`${c.name}: produces, consumes, and is told the address of the listener it used`, async () => {
      const kafka = kafkajs(c);
      const topic = uniqueTopic('sec-kj');
      const admin = kafka.admin();
      await admin.connect();
      try {
        const cluster = await admin.describeCluster();
        expect(cluster.brokers).toEqual([{ nodeId: 0, host: '127.0.0.1', port: broker.portOf(c.listener) }]);
        await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
      } finally {
        await admin.disconnect();
      }
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic, messages: [{ key: 'k', value: `over ${c.name}` }] });
      await producer.disconnect();

      const consumer = kafka.consumer({ groupId: `g-${topic}`, maxWaitTimeInMs: 100 });
      await consumer.connect();
      try {
        await consumer.subscribe({ topic, fromBeginning: true });
        const got = await new Promise<string>((resolve) => {
          void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) });
        });
        expect(got).toBe(`over ${c.name}`);
      } finally {
        await consumer.disconnect();
      }
    });
  }

  it('a wrong PLAIN password fails with Kafka\'s message', async () => {
    const admin = kafkajs({ name: 'bad', listener: 'SASL_SSL', tls: true, sasl: { mechanism: 'plain', username: 'alice', password: 'wrong' } }).admin();
    await expect(admin.connect()).rejects.toThrow('Authentication failed: Invalid username or password');
  });

  it('a wrong SCRAM password and an unknown SCRAM user fail alike, with the generic message', async () => {
    for (const [username, password] of [['bob', 'wrong'], ['nobody', 'x']]) {
      const admin = kafkajs({ name: 'bad', listener: 'SASL_PLAINTEXT', tls: false, sasl: { mechanism: 'scram-sha-512', username, password } }).admin();
      await expect(admin.connect()).rejects.toThrow(
        'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
      );
    }
  });

  it('a TLS client on the plaintext listener, and a plaintext client on the SSL listener, fail to connect and the broker stays up', async () => {
    await expect(kafkajs({ name: 'x', listener: 'PLAINTEXT', tls: true }).admin().connect()).rejects.toThrow();
    await expect(kafkajs({ name: 'x', listener: 'SSL', tls: false }, { connectionTimeout: 2000 }).admin().connect()).rejects.toThrow();
    const ok = kafkajs(CASES[0]).admin();
    await ok.connect();
    expect((await ok.describeCluster()).brokers).toHaveLength(1);
    await ok.disconnect();
  });
});

describe('@platformatic/kafka over secured listeners', () => {
  for (const c of CASES) {
    it(`${c.name}: produces, consumes, and is told the address of the listener it used`, async () => {
      const topic = uniqueTopic('sec-pk');
      const admin = new Admin(platformaticOptions(c));
      try {
        const md = await admin.metadata({ topics: [] });
        expect([...md.brokers.values()]).toEqual([expect.objectContaining({ host: '127.0.0.1', port: broker.portOf(c.listener) })]);
        await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
      } finally {
        await admin.close();
      }
      const producer = new Producer({ ...platformaticOptions(c), serializers: stringSerializers });
      try {
        await producer.send({ messages: [{ topic, key: 'k', value: `over ${c.name}` }] });
      } finally {
        await producer.close();
      }
      const consumer = new Consumer({ ...platformaticOptions(c), groupId: `g-${topic}`, deserializers: stringDeserializers, maxWaitTime: 100 });
      try {
        const stream = await consumer.consume({ topics: [topic], mode: 'earliest', fallbackMode: 'earliest' });
        const got = await new Promise<string>((resolve) => stream.once('data', (m) => resolve(m.value as string)));
        expect(got).toBe(`over ${c.name}`);
        await stream.close();
      } finally {
        await consumer.close(true);
      }
    });
  }

  it('a wrong PLAIN password fails with Kafka\'s message', async () => {
    const admin = new Admin(platformaticOptions(CASES[1], { mechanism: 'plain', username: 'alice', password: 'wrong' }));
    try {
      const err = (await admin.metadata({ topics: [] }).then(() => null, (e: unknown) => e)) as { errors?: { cause?: { message: string; cause?: { errors?: { apiCode: number; apiId: string }[] } } }[] };
      // Cannot connect -> connection failed -> SASL authentication failed -> Kafka's error.
      const auth = err?.errors?.[0]?.cause;
      expect(auth?.message).toBe('SASL authentication failed.');
      expect(auth?.cause?.errors?.[0]).toMatchObject({ apiCode: ErrorCode.SASL_AUTHENTICATION_FAILED, apiId: 'SASL_AUTHENTICATION_FAILED' });
    } finally {
      await admin.close();
    }
  });
});

describe('SCRAM credentials by the admin API', () => {
  async function alter(user: string, password: string | null, mechanism = 1): Promise<number> {
    const c = await RawClient.connect('127.0.0.1', broker.portOf('PLAINTEXT'));
    try {
      const salt = Buffer.from('a-salt-of-16-byt');
      const mech = mechanism === 1 ? 'SCRAM-SHA-256' : 'SCRAM-SHA-512';
      const res = await c.request(AlterUserScramCredentialsApi, 0, password === null
        ? { deletions: [{ name: user, mechanism }], upsertions: [] }
        : { deletions: [], upsertions: [{ name: user, mechanism, iterations: 8192, salt, saltedPassword: saltedPassword(mech, password, salt, 8192) }] });
      return res.results[0]!.errorCode;
    } finally {
      c.close();
    }
  }

  const login = (username: string, password: string) =>
    kafkajs({ name: 's', listener: 'SASL_SSL', tls: true, sasl: { mechanism: 'scram-sha-256', username, password } }).admin();

  it('a user created, changed and deleted takes effect for new connections', async () => {
    expect(await alter('carol', 'first')).toBe(ErrorCode.NONE);
    const first = login('carol', 'first');
    await first.connect();
    expect((await first.describeCluster()).brokers).toHaveLength(1);

    expect(await alter('carol', 'second')).toBe(ErrorCode.NONE);
    await expect(login('carol', 'first').connect()).rejects.toThrow('invalid credentials with SASL mechanism SCRAM-SHA-256');
    const second = login('carol', 'second');
    await second.connect();
    // The connection made before the change stays authenticated.
    expect((await first.describeCluster()).brokers).toHaveLength(1);

    expect(await alter('carol', null)).toBe(ErrorCode.NONE);
    await expect(login('carol', 'second').connect()).rejects.toThrow('invalid credentials with SASL mechanism SCRAM-SHA-256');
    await first.disconnect();
    await second.disconnect();
  });

  it('answers Kafka\'s per-user errors and describes iterations, never secrets', async () => {
    const c = await RawClient.connect('127.0.0.1', broker.portOf('PLAINTEXT'));
    try {
      const salt = Buffer.from('salt');
      const up = (name: string, mechanism: number, iterations: number) => ({ name, mechanism, iterations, salt, saltedPassword: Buffer.alloc(32, 1) });
      const res = await c.request(AlterUserScramCredentialsApi, 0, {
        deletions: [{ name: 'ghost', mechanism: 1 }, { name: 'twice', mechanism: 1 }],
        upsertions: [up('', 1, 4096), up('weird', 3, 4096), up('few', 1, 100), up('many', 2, 20000), up('twice', 2, 4096), up('dave', 2, 4096)],
      });
      expect(res.results).toEqual([
        { user: 'ghost', errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to delete a user credential that does not exist' },
        { user: 'twice', errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: 'A user credential cannot be altered twice in the same request' },
        { user: '', errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Username must not be empty' },
        { user: 'weird', errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, errorMessage: 'Unknown SCRAM mechanism' },
        { user: 'few', errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Too few iterations' },
        { user: 'many', errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Too many iterations' },
        { user: 'dave', errorCode: ErrorCode.NONE, errorMessage: null },
      ]);
      const named = await c.request(DescribeUserScramCredentialsApi, 0, { users: [{ name: 'dave' }, { name: 'bob' }, { name: 'ghost' }, { name: 'x' }, { name: 'x' }] });
      expect(named.results).toEqual([
        { user: 'dave', errorCode: 0, errorMessage: null, credentialInfos: [{ mechanism: 2, iterations: 4096 }] },
        { user: 'bob', errorCode: 0, errorMessage: null, credentialInfos: [{ mechanism: 1, iterations: 4096 }, { mechanism: 2, iterations: 4096 }] },
        { user: 'ghost', errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to describe a user credential that does not exist: ghost', credentialInfos: [] },
        { user: 'x', errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: 'Cannot describe SCRAM credentials for the same user twice in a single request: x', credentialInfos: [] },
      ]);
      const all = await c.request(DescribeUserScramCredentialsApi, 0, { users: null });
      expect(all.results.map((r) => r.user)).toEqual(expect.arrayContaining(['bob', 'dave']));
    } finally {
      c.close();
    }
  });
});
