// Issue 11: client certificates (ssl.client.auth) with kafkajs over real TLS: the
// certificate's subject becomes the principal (mapped by ssl.principal.mapping.rules),
// a missing or untrusted certificate is refused where it must be.
import { afterEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { makeTestCa } from '../../broker/security/test-certs.js';
import { captureLog } from '../support/secure-broker.js';

let broker: RunningBroker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

async function start(clientAuth: string, rules?: string) {
  const log = captureLog();
  broker = await startBroker({
    tls: true,
    logger: log.logger,
    config: {
      listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0',
      'listener.name.ssl.ssl.client.auth': clientAuth,
      ...(rules ? { 'ssl.principal.mapping.rules': rules } : {}),
    },
  });
  const port = broker.listeners.find((l) => l.name === 'SSL')!.port;
  return { log, port, b: broker };
}

function connect(port: number, ca: string, cert?: { cert: string; key: string }) {
  const kafka = new Kafka({ clientId: 'mtls', brokers: [`localhost:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 0 }, ssl: { ca: [ca], ...cert } });
  return kafka.admin();
}

const CLIENT = [['C', 'US'], ['O', 'kl'], ['OU', 'eng'], ['CN', 'client1']] as const;

describe('ssl.client.auth', () => {
  it('required: a trusted certificate connects as User:<its subject>; none, or an untrusted one, is refused', async () => {
    const { log, port, b } = await start('required');
    const admin = connect(port, b.tls!.ca, b.tls!.issue(CLIENT));
    await admin.connect();
    expect((await admin.describeCluster()).brokers).toHaveLength(1);
    await admin.disconnect();
    expect(log.lines.some((l) => l.principal === 'User:CN=client1,OU=eng,O=kl,C=US')).toBe(true);

    await expect(connect(port, b.tls!.ca).connect()).rejects.toThrow();
    const stranger = makeTestCa('another CA').issue(CLIENT);
    await expect(connect(port, b.tls!.ca, stranger).connect()).rejects.toThrow();
    expect(log.lines.some((l) => l.msg === 'TLS handshake failed; connection closed')).toBe(true);
  });

  it('requested: no certificate is anonymous, an untrusted one is refused', async () => {
    const { log, port, b } = await start('requested');
    const anonymous = connect(port, b.tls!.ca);
    await anonymous.connect();
    await anonymous.disconnect();
    await expect(connect(port, b.tls!.ca, makeTestCa('another CA').issue(CLIENT)).connect()).rejects.toThrow();
    expect(log.lines.some((l) => l.msg === 'untrusted client certificate; connection closed')).toBe(true);
  });

  it('ssl.principal.mapping.rules turn the subject into a short name', async () => {
    const { log, port, b } = await start('required', 'RULE:^CN=(.*?),.*$/$1/L,DEFAULT');
    const admin = connect(port, b.tls!.ca, b.tls!.issue([['O', 'kl'], ['CN', 'Client1']]));
    await admin.connect();
    await admin.disconnect();
    expect(log.lines.some((l) => l.principal === 'User:client1')).toBe(true);
  });
});
