// The broker a scenario runs against: KAFKA_BROKERS=host:port names any broker
// (Apache Kafka included); otherwise a fresh in-memory kafkalite on a free port.
import { startBroker, type BrokerOptions, type RunningBroker } from '../../broker/broker.js';

export interface TestBroker {
  /** host:port for a client's bootstrap list. */
  bootstrap: string;
  host: string;
  port: number;
  /** The kafkalite instance, or undefined when KAFKA_BROKERS points elsewhere. */
  kafkalite?: RunningBroker;
  close(): Promise<void>;
}

export async function testBroker(opts: BrokerOptions = {}): Promise<TestBroker> {
  const external = process.env.KAFKA_BROKERS;
  if (external) {
    const [host, port] = external.split(',')[0].split(':');
    return { bootstrap: external, host, port: Number(port), close: async () => {} };
  }
  const b = await startBroker({ memory: true, ...opts });
  return { bootstrap: b.bootstrap, host: b.host, port: b.port, kafkalite: b, close: () => b.close() };
}

/** A topic name no other test uses. */
export function uniqueTopic(prefix = 'topic'): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
