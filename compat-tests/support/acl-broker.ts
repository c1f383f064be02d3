// A broker under Kafka's StandardAuthorizer (issue 11): a PLAINTEXT listener
// (User:ANONYMOUS) and a SASL_PLAINTEXT one with PLAIN users; `admin` is a super user.
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { startBroker, type BrokerOptions, type RunningBroker } from '../../broker/broker.js';

export const ACL_USERS = { admin: 'admin-secret', alice: 'alice-secret', bob: 'bob-secret' } as const;
export type AclUser = keyof typeof ACL_USERS;

const JAAS = `org.apache.kafka.common.security.plain.PlainLoginModule required ${Object.entries(ACL_USERS).map(([u, p]) => `user_${u}="${p}"`).join(' ')};`;

export interface AclBroker extends RunningBroker {
  /** The SASL_PLAINTEXT listener's port. */
  readonly saslPort: number;
  /** A kafkajs client logged in as the user over SASL_PLAINTEXT (PLAIN). */
  kafkajs(user: AclUser, over?: Partial<KafkaConfig>): Kafka;
}

export async function aclBroker(opts: BrokerOptions = {}): Promise<AclBroker> {
  const b = await startBroker({
    memory: true,
    authorizer: true,
    superUsers: ['User:admin'],
    ...opts,
    config: {
      listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
      'sasl.enabled.mechanisms': 'PLAIN',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': JAAS,
      ...opts.config,
    },
  });
  const saslPort = b.listeners.find((l) => l.name === 'SASL_PLAINTEXT')!.port;
  return Object.assign(b, {
    saslPort,
    kafkajs(user: AclUser, over: Partial<KafkaConfig> = {}): Kafka {
      return new Kafka({
        clientId: `acl-${user}`,
        brokers: [`127.0.0.1:${saslPort}`],
        logLevel: logLevel.NOTHING,
        retry: { retries: 0 },
        sasl: { mechanism: 'plain', username: user, password: ACL_USERS[user] },
        ...over,
      });
    },
  });
}
