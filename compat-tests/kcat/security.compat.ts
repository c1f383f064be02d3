// kcat (librdkafka) over SASL_SSL (issue 11): SCRAM-SHA-256, SCRAM-SHA-512, PLAIN and
// OAUTHBEARER (librdkafka's own unsecured JWT), verifying the broker's certificate
// against the test double's CA; a wrong password, a token without the required scope.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kcat, kcatVersion } from '../support/kcat.js';
import { secureBroker, PLAIN_USERS, SCRAM_USERS } from '../support/secure-broker.js';
import { uniqueTopic } from '../support/broker.js';

describe.skipIf(!kcatVersion())('kcat over SASL_SSL', () => {
  let broker: Awaited<ReturnType<typeof secureBroker>>;
  let dir: string;
  let caFile: string;
  beforeAll(async () => {
    broker = await secureBroker({
      config: {
        'listener.name.sasl_ssl.sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER',
        'listener.name.sasl_ssl.oauthbearer.sasl.jaas.config':
          'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredValidatorRequiredScope="kafka";',
      },
    });
    dir = mkdtempSync(join(tmpdir(), 'kcat-ca-'));
    caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, broker.tls!.ca);
  });
  afterAll(async () => {
    await broker?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const secure = (mechanism: string, username: string, password: string) => [
    '-b', `127.0.0.1:${broker.portOf('SASL_SSL')}`,
    '-X', 'security.protocol=SASL_SSL',
    '-X', `sasl.mechanisms=${mechanism}`,
    '-X', `sasl.username=${username}`,
    '-X', `sasl.password=${password}`,
    '-X', `ssl.ca.location=${caFile}`,
  ];

  for (const [mechanism, user, password] of [
    ['SCRAM-SHA-256', 'bob', SCRAM_USERS.bob],
    ['SCRAM-SHA-512', 'bob', SCRAM_USERS.bob],
    ['PLAIN', 'alice', PLAIN_USERS.alice],
  ] as const) {
    it(`${mechanism}: produces and consumes`, async () => {
      const topic = uniqueTopic('kcat-sasl');
      await broker.cluster.createTopic(broker.cluster.newTopic(topic, 1));
      const produced = await kcat([...secure(mechanism, user, password), '-P', '-t', topic], { input: 'one\ntwo\n' });
      expect(produced.code, produced.stderr).toBe(0);
      const consumed = await kcat([...secure(mechanism, user, password), '-C', '-t', topic, '-o', 'beginning', '-c', '2', '-e']);
      expect(consumed.code, consumed.stderr).toBe(0);
      expect(consumed.stdout.trim().split('\n')).toEqual(['one', 'two']);
    });
  }

  const oauth = (config: string) => [
    '-b', `127.0.0.1:${broker.portOf('SASL_SSL')}`,
    '-X', 'security.protocol=SASL_SSL',
    '-X', 'sasl.mechanisms=OAUTHBEARER',
    '-X', 'enable.sasl.oauthbearer.unsecure.jwt=true',
    '-X', `sasl.oauthbearer.config=${config}`,
    '-X', `ssl.ca.location=${caFile}`,
  ];

  it('OAUTHBEARER with librdkafka\'s unsecured JWT: produces and consumes', async () => {
    const topic = uniqueTopic('kcat-oauth');
    await broker.cluster.createTopic(broker.cluster.newTopic(topic, 1));
    const args = oauth('principal=alice scope=kafka lifeSeconds=600');
    const produced = await kcat([...args, '-P', '-t', topic], { input: 'one\ntwo\n' });
    expect(produced.code, produced.stderr).toBe(0);
    const consumed = await kcat([...args, '-C', '-t', topic, '-o', 'beginning', '-c', '2', '-e']);
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(consumed.stdout.trim().split('\n')).toEqual(['one', 'two']);
  });

  it('OAUTHBEARER without the required scope fails with Kafka\'s JSON status', async () => {
    const res = await kcat([...oauth('principal=alice scope=other lifeSeconds=600'), '-L', '-m', '5'], { timeoutMs: 20_000 });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('SASL authentication error: {"status":"insufficient_scope", "scope":"[kafka]"}');
  });

  it('a wrong password fails with the broker\'s message', async () => {
    const res = await kcat([...secure('SCRAM-SHA-256', 'bob', 'wrong'), '-L', '-m', '5'], { timeoutMs: 20_000 });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256/);
  });
});
