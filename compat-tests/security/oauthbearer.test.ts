// Issue 11: SASL/OAUTHBEARER with Kafka's unsecured JWS validator. Unmodified kafkajs
// (oauthBearerProvider) and @platformatic/kafka (token) log in with hand-built
// `alg: none` tokens; at the protocol level, every kind of bad token gets Kafka's
// JSON challenge, then SASL_AUTHENTICATION_FAILED once the client acknowledges it;
// the token's `exp`, checked against the broker clock, bounds the KIP-368 session.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { Admin, saslOAuthBearer } from '@platformatic/kafka';
import { captureLog, secureBroker, saslConfig } from '../support/secure-broker.js';
import { uniqueTopic } from '../support/broker.js';
import { RawClient } from '../../test/support/raw-client.js';
import { SaslHandshakeApi } from '../../protocol/messages/17-sasl-handshake.js';
import { SaslAuthenticateApi } from '../../protocol/messages/36-sasl-authenticate.js';
import { MetadataApi } from '../../protocol/messages/03-metadata.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ManualClock } from '../../broker/clock.js';

const MODULE = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule';

/** Both SASL listeners serve OAUTHBEARER too: SASL_PLAINTEXT requires scope `kafka` (1 s skew), SASL_SSL reads the principal from `client_id`. */
const OAUTH_CONFIG = {
  ...saslConfig(['sasl_plaintext', 'sasl_ssl']),
  'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER',
  'listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config':
    `${MODULE} required unsecuredValidatorRequiredScope="kafka" unsecuredValidatorAllowableClockSkewMs="1000";`,
  'listener.name.sasl_ssl.oauthbearer.sasl.jaas.config': `${MODULE} required unsecuredValidatorPrincipalClaimName="client_id";`,
};

const b64 = (o: unknown) => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)).toString('base64url');
/** An unsecured JWS: header and claims, empty signature. */
const jws = (claims: unknown, header: unknown = { alg: 'none' }) => `${b64(header)}.${b64(claims)}.`;
/** RFC 7628 client first message. */
const firstMessage = (token: string, authzid = '', extensions = '') =>
  Buffer.from(`n,${authzid === '' ? '' : `a=${authzid}`},\x01auth=Bearer ${token}\x01${extensions}\x01`);

describe('real clients (system clock)', () => {
  let broker: Awaited<ReturnType<typeof secureBroker>>;
  const log = captureLog();
  beforeAll(async () => {
    broker = await secureBroker({ logger: log.logger, config: { ...OAUTH_CONFIG, 'listener.name.sasl_ssl.oauthbearer.connections.max.reauth.ms': '60000' } });
  });
  afterAll(async () => {
    await broker?.close();
  });
  const token = (sub: string, lifeS = 3600, extra: Record<string, unknown> = {}) =>
    jws({ sub, scope: ['kafka', 'other'], iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + lifeS, ...extra });

  const kafkajs = (value: string, listener = 'SASL_PLAINTEXT') =>
    new Kafka({
      clientId: 'oauth-kafkajs',
      brokers: [`localhost:${broker.portOf(listener)}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      ...(listener === 'SASL_SSL' ? { ssl: { ca: [broker.tls!.ca] } } : {}),
      sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value }) },
    });

  it('kafkajs produces and reads back as the token subject', async () => {
    const topic = uniqueTopic('oauth');
    const kafka = kafkajs(token('alice'));
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'over OAUTHBEARER' }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: uniqueTopic('oauth-group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const got = await new Promise<string>((resolve) => void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) }));
    await consumer.disconnect();
    expect(got).toBe('over OAUTHBEARER');
    expect(log.lines.some((l) => l.msg === 'SASL authenticated' && l.principal === 'User:alice')).toBe(true);
  });

  it('kafkajs over SASL_SSL with the principal in another claim', async () => {
    const admin = kafkajs(jws({ client_id: 'svc-1', exp: Math.floor(Date.now() / 1000) + 600 }), 'SASL_SSL').admin();
    await admin.connect();
    expect((await admin.describeCluster()).brokers).toEqual([{ nodeId: 0, host: '127.0.0.1', port: broker.portOf('SASL_SSL') }]);
    await admin.disconnect();
    expect(log.lines.some((l) => l.msg === 'SASL authenticated' && l.principal === 'User:svc-1')).toBe(true);
  });

  it('kafkajs with an invalid token takes the challenge for success; its next request gets its error response (ILLEGAL_SASL_STATE) and the connection closes', async () => {
    const admin = kafkajs(token('alice', -60)).admin();
    await admin.connect();
    // Metadata's error response has no error code of its own: kafkajs sees no brokers.
    await expect(admin.listTopics()).rejects.toThrow('No brokers in the broker pool');
    await admin.disconnect();
    await vi.waitFor(() => expect(log.has(/Unexpected Kafka request of type Metadata during SASL authentication/)).toBe(true));
  });

  it('@platformatic/kafka logs in; the session lifetime is the token\'s remaining life, or connections.max.reauth.ms when smaller', async () => {
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const plain = new Admin({
      clientId: 'oauth-pk',
      bootstrapBrokers: [`127.0.0.1:${broker.portOf('SASL_PLAINTEXT')}`],
      retries: 0,
      sasl: { mechanism: 'OAUTHBEARER', token: jws({ sub: 'carol', scope: 'kafka', exp }) },
    });
    const ssl = new Admin({
      clientId: 'oauth-pk-ssl',
      bootstrapBrokers: [`127.0.0.1:${broker.portOf('SASL_SSL')}`],
      retries: 0,
      tls: { ca: broker.tls!.ca },
      sasl: { mechanism: 'OAUTHBEARER', token: jws({ client_id: 'carol', exp }) },
    });
    try {
      const before = broker.requests.entries('SaslAuthenticate').length;
      await plain.metadata({ topics: [] });
      await ssl.metadata({ topics: [] });
      const [a, b] = broker.requests.entries('SaslAuthenticate').slice(before);
      const lifetime = Number((a!.response as { sessionLifetimeMs: bigint }).sessionLifetimeMs);
      // exp is whole seconds: at most an hour, more than the hour minus this test's run time.
      expect(lifetime).toBeLessThanOrEqual(3_600_000);
      expect(lifetime).toBeGreaterThan(3_500_000);
      expect(b!.response).toMatchObject({ errorCode: 0, sessionLifetimeMs: 60000n });
    } finally {
      await plain.close();
      await ssl.close();
    }
  });

  it('@platformatic/kafka reports an invalid token with its token validator, and ILLEGAL_SASL_STATE without it', async () => {
    type Chain = Error & { errors?: (Error & { cause?: Error & { cause?: Error } })[] };
    const attempt = async (validate: boolean) => {
      const admin = new Admin({
        clientId: 'oauth-pk-bad',
        bootstrapBrokers: [`127.0.0.1:${broker.portOf('SASL_PLAINTEXT')}`],
        retries: 0,
        sasl: {
          mechanism: 'OAUTHBEARER',
          token: jws({ scope: 'kafka', exp: Math.floor(Date.now() / 1000) + 60 }),
          ...(validate ? { authBytesValidator: saslOAuthBearer.jwtValidateAuthenticationBytes } : {}),
        },
      });
      try {
        return await admin.metadata({ topics: [] }).then(() => null, (e: unknown) => (e as Chain).errors?.[0]);
      } finally {
        await admin.close();
      }
    };
    const withValidator = await attempt(true);
    expect(withValidator?.cause?.message).toBe('SASL authentication failed.');
    expect(withValidator?.cause?.cause?.message).toBe('Invalid SASL/OAUTHBEARER token.');
    // Without it the challenge passes for success; the next request is answered ILLEGAL_SASL_STATE.
    expect((await attempt(false))?.message).toBe('Request is not valid given the current SASL state.');
  });
});

describe('the protocol (manual clock)', () => {
  let broker: Awaited<ReturnType<typeof secureBroker>>;
  const log = captureLog();
  const clock = new ManualClock(1_700_000_000_000);
  const nowS = () => clock.now() / 1000;
  beforeAll(async () => {
    broker = await secureBroker({ logger: log.logger, clock, config: OAUTH_CONFIG });
  });
  afterAll(async () => {
    await broker?.close();
  });

  const good = (over: Record<string, unknown> = {}) => ({ sub: 'alice', scope: 'kafka', iat: nowS(), exp: nowS() + 60, ...over });

  async function login(authBytes: Buffer) {
    const c = await RawClient.connect('127.0.0.1', broker.portOf('SASL_PLAINTEXT'));
    const hs = await c.request(SaslHandshakeApi, 1, { mechanism: 'OAUTHBEARER' });
    expect(hs).toMatchObject({ errorCode: 0, mechanisms: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] });
    return { c, res: await c.request(SaslAuthenticateApi, 2, { authBytes }) };
  }
  const metadata = (c: RawClient) => c.request(MetadataApi, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });

  /** The challenge, the client's \x01, then SASL_AUTHENTICATION_FAILED with the same JSON and a closed connection. */
  async function expectRejected(token: string, json = '{"status":"invalid_token"}') {
    const { c, res } = await login(firstMessage(token));
    expect(res).toMatchObject({ errorCode: 0, errorMessage: null, sessionLifetimeMs: 0n });
    expect(res.authBytes.toString()).toBe(json);
    const ack = await c.request(SaslAuthenticateApi, 2, { authBytes: Buffer.from([1]) });
    expect(ack).toMatchObject({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: json });
    await c.closed;
  }

  it('a good token authenticates with extensions and an equal authorization id; the session ends at exp', async () => {
    const { c, res } = await login(firstMessage(jws(good({ exp: nowS() + 10 })), 'alice', 'traceId=abc 1\x01'));
    expect(res).toMatchObject({ errorCode: 0, sessionLifetimeMs: 10000n });
    expect(res.authBytes).toHaveLength(0);
    expect((await metadata(c)).brokers).toHaveLength(1);
    clock.advance(10_001);
    await expect(metadata(c)).rejects.toThrow('connection closed');
    expect(log.has(/SASL session of User:alice expired/)).toBe(true);
  });

  it('re-authenticating with a fresh token extends the session; another subject is refused', async () => {
    const { c } = await login(firstMessage(jws(good({ exp: nowS() + 5 }))));
    clock.advance(4_000);
    expect(await c.request(SaslHandshakeApi, 1, { mechanism: 'OAUTHBEARER' })).toMatchObject({ errorCode: 0 });
    expect(await c.request(SaslAuthenticateApi, 2, { authBytes: firstMessage(jws(good())) })).toMatchObject({ errorCode: 0, sessionLifetimeMs: 60000n });
    clock.advance(4_000);
    expect((await metadata(c)).brokers).toHaveLength(1);
    clock.advance(2_000);
    expect(await c.request(SaslHandshakeApi, 1, { mechanism: 'OAUTHBEARER' })).toMatchObject({ errorCode: 0 });
    expect(await c.request(SaslAuthenticateApi, 2, { authBytes: firstMessage(jws(good({ sub: 'mallory' }))) })).toMatchObject({
      errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED,
      errorMessage: 'Cannot change principals during re-authentication from User.alice: User.mallory',
    });
    await c.closed;
  });

  // Built when each test runs: the clock has moved by then.
  const BAD: [string, () => string][] = [
    ['expired', () => jws(good({ iat: nowS() - 120, exp: nowS() - 60 }))],
    ['expired by exactly the clock skew', () => jws(good({ iat: undefined, exp: nowS() - 1 }))],
    ['no sub', () => jws(good({ sub: undefined }))],
    ['a blank sub', () => jws(good({ sub: '  ' }))],
    ['a numeric sub', () => jws(good({ sub: 42 }))],
    ['no exp', () => jws(good({ exp: undefined }))],
    ['a string exp', () => jws(good({ exp: String(nowS() + 60) }))],
    ['iat after now plus the skew', () => jws(good({ iat: nowS() + 2 }))],
    ['exp not after iat', () => jws(good({ iat: nowS() + 0.5, exp: nowS() + 0.5 }))],
    ['alg HS256', () => jws(good(), { alg: 'HS256' })],
    ['no alg', () => jws(good(), { typ: 'JWT' })],
    ['a signature', () => `${jws(good())}c2ln`],
    ['two parts', () => `${b64({ alg: 'none' })}.${b64(good())}`],
    ['four parts', () => `${jws(good())}.x`],
    ['..', () => `${b64({ alg: 'none' })}..`],
    ['standard base64', () => `${Buffer.from(JSON.stringify({ alg: 'none', x: '>>>' })).toString('base64')}.${b64(good())}.`],
    ['claims that are not JSON', () => `${b64({ alg: 'none' })}.${b64('not json')}.`],
    ['not a JWS at all', () => 'abc'],
  ];
  for (const [what, token] of BAD) {
    it(`a token with ${what} gets invalid_token, then fails`, async () => {
      await expectRejected(token());
    });
  }

  it('a token without the required scope gets insufficient_scope with the required list', async () => {
    await expectRejected(jws(good({ scope: ['read', 'write'] })), '{"status":"insufficient_scope", "scope":"[kafka]"}');
    // A string scope is one scope item, as Kafka reads it.
    await expectRejected(jws(good({ scope: 'kafka other' })), '{"status":"insufficient_scope", "scope":"[kafka]"}');
  });

  it('exp within the allowable clock skew is accepted', async () => {
    const { c, res } = await login(firstMessage(jws(good({ iat: nowS() - 10, exp: nowS() - 0.5 }))));
    expect(res).toMatchObject({ errorCode: 0, sessionLifetimeMs: 0n });
    c.close();
  });

  it('after the challenge, a new client first message with a good token is evaluated afresh', async () => {
    const { c, res } = await login(firstMessage('abc'));
    expect(res.authBytes.toString()).toBe('{"status":"invalid_token"}');
    expect(await c.request(SaslAuthenticateApi, 2, { authBytes: firstMessage(jws(good())) })).toMatchObject({ errorCode: 0, sessionLifetimeMs: 60000n });
    expect((await metadata(c)).brokers).toHaveLength(1);
    c.close();
  });

  it('an authorization id other than the subject fails with Kafka\'s message', async () => {
    const { c, res } = await login(firstMessage(jws(good()), 'admin'));
    expect(res).toMatchObject({
      errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED,
      errorMessage: "Authentication failed: Client requested an authorization id (admin) that is different from the token's principal name (alice)",
    });
    await c.closed;
  });

  for (const [what, bytes] of [
    ['garbage', Buffer.from([0xff, 0x00, 0x13, 0x37])],
    ['an empty token', Buffer.alloc(0)],
    ['\\x01 with no challenge before it', Buffer.from([1])],
    ['a scheme other than Bearer', Buffer.from(`n,,\x01auth=Basic ${jws(good())}\x01\x01`)],
    ['no auth pair', Buffer.from('n,,\x01host=x\x01\x01')],
    ['no closing separator', Buffer.from(`n,,\x01auth=Bearer ${jws(good())}\x01`)],
  ] as const) {
    it(`a client first message that is ${what} fails with the generic message and closes the connection`, async () => {
      const { c, res } = await login(bytes);
      expect(res).toMatchObject({
        errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED,
        errorMessage: 'Authentication failed during authentication due to invalid credentials with SASL mechanism OAUTHBEARER',
      });
      await c.closed;
    });
  }

  it('the v0 handshake carries the token and the challenge as bare frames', async () => {
    const c = await RawClient.connect('127.0.0.1', broker.portOf('SASL_PLAINTEXT'));
    expect(await c.request(SaslHandshakeApi, 0, { mechanism: 'OAUTHBEARER' })).toMatchObject({ errorCode: 0 });
    const frames: Buffer[] = [];
    c.socket.removeAllListeners('data');
    c.socket.on('data', (d: Buffer) => frames.push(d));
    const token = firstMessage('abc');
    const frame = Buffer.alloc(4 + token.length);
    frame.writeInt32BE(token.length, 0);
    token.copy(frame, 4);
    c.socket.write(frame);
    await new Promise<void>((resolve) => c.socket.once('data', () => resolve()));
    expect(Buffer.concat(frames).subarray(4).toString()).toBe('{"status":"invalid_token"}');
    c.socket.write(Buffer.from([0, 0, 0, 1, 1]));
    await c.closed;
  });
});
