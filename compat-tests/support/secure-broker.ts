// A broker with one listener of each security protocol (issue 11): PLAINTEXT, SSL,
// SASL_PLAINTEXT and SASL_SSL, the last two with PLAIN (alice) and SCRAM (bob).
import pino from 'pino';
import { startBroker, type BrokerOptions, type RunningBroker } from '../../broker/broker.js';

export const PLAIN_USERS = { alice: 'alice-secret', admin: 'admin-secret' };
export const SCRAM_USERS = { bob: 'bob-secret' };

const PLAIN_JAAS =
  'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" ' +
  Object.entries(PLAIN_USERS).map(([u, p]) => `user_${u}="${p}"`).join(' ') + ';';
const SCRAM_JAAS = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';

/** Every SASL listener's JAAS settings, in Kafka's names. */
export function saslConfig(listeners: readonly string[]): Record<string, string> {
  const out: Record<string, string> = { 'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512' };
  for (const l of listeners) {
    out[`listener.name.${l}.plain.sasl.jaas.config`] = PLAIN_JAAS;
    out[`listener.name.${l}.scram-sha-256.sasl.jaas.config`] = SCRAM_JAAS;
    out[`listener.name.${l}.scram-sha-512.sasl.jaas.config`] = SCRAM_JAAS;
  }
  return out;
}

export async function secureBroker(opts: BrokerOptions = {}): Promise<RunningBroker & { portOf(listener: string): number }> {
  const b = await startBroker({
    memory: true,
    tls: true,
    scramUsers: SCRAM_USERS,
    ...opts,
    config: {
      listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
      ...saslConfig(['sasl_plaintext', 'sasl_ssl']),
      ...opts.config,
    },
  });
  return Object.assign(b, {
    portOf(listener: string): number {
      const l = b.listeners.find((x) => x.name === listener);
      if (!l) throw new Error(`no listener ${listener}`);
      return l.port;
    },
  });
}

/** A debug-level logger whose lines are kept, parsed, for a test to look for. */
export function captureLog() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  const has = (re: RegExp) => lines.some((l) => re.test(`${String(l.msg)} ${String(l.reason ?? '')} ${String(l.err ?? '')}`));
  return { logger, lines, has };
}
