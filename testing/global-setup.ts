// One broker for a whole test run, started by the runner's global setup: its
// bootstrap goes into an environment variable (KAFKA_BROKERS by default) that the
// test workers inherit, and a small control endpoint on 127.0.0.1 lets a test in
// any worker reset() it (KAFKALITE_CONTROL holds its URL).
import { createServer, type Server } from 'node:http';
import { startBroker, type BrokerOptions, type RunningBroker } from '../broker/broker.js';

export interface GlobalSetupOptions extends BrokerOptions {
  /** The environment variable that receives `host:port`; default KAFKA_BROKERS. */
  readonly env?: string;
}

export const CONTROL_ENV = 'KAFKALITE_CONTROL';

interface Shared {
  broker: RunningBroker;
  control: Server;
}

const SHARED = Symbol.for('kafkalite.testing.shared');
const holder = globalThis as { [SHARED]?: Shared };

async function start(opts: GlobalSetupOptions): Promise<void> {
  const { env = 'KAFKA_BROKERS', ...brokerOpts } = opts;
  const broker = await startBroker(brokerOpts);
  const control = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/reset') {
      res.writeHead(404).end();
      return;
    }
    broker.reset().then(
      ({ unusedFaults }) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ unusedFaults: unusedFaults.map((f) => f.describe()) })),
      (err: Error) => res.writeHead(500).end(err.message),
    );
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  const address = control.address();
  process.env[env] = broker.bootstrap;
  process.env[CONTROL_ENV] = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  holder[SHARED] = { broker, control };
}

async function stop(): Promise<void> {
  const shared = holder[SHARED];
  if (shared === undefined) return;
  holder[SHARED] = undefined;
  await new Promise<void>((resolve) => shared.control.close(() => resolve()));
  await shared.broker.close();
}

/**
 * Vitest `globalSetup`: `export default vitestGlobalSetup({ ... })` in the setup
 * file. Starts the broker before the run, closes it after.
 */
export function vitestGlobalSetup(opts: GlobalSetupOptions = {}): () => Promise<() => Promise<void>> {
  return async () => {
    await start(opts);
    return stop;
  };
}

/** Jest `globalSetup`: `module.exports = jestGlobalSetup({ ... })`; pair it with jestGlobalTeardown. */
export function jestGlobalSetup(opts: GlobalSetupOptions = {}): () => Promise<void> {
  return () => start(opts);
}

/** Jest `globalTeardown` (runs in the same process as globalSetup). */
export function jestGlobalTeardown(): Promise<void> {
  return stop();
}

/**
 * From a test in any worker: resets the run's shared broker (every topic, group
 * and offset gone) and returns the descriptions of faults that never fired.
 */
export async function resetSharedBroker(): Promise<{ unusedFaults: string[] }> {
  const url = process.env[CONTROL_ENV];
  if (url === undefined) throw new Error(`${CONTROL_ENV} is not set: is vitestGlobalSetup/jestGlobalSetup the run's global setup?`);
  const res = await fetch(`${url}/reset`, { method: 'POST' });
  if (!res.ok) throw new Error(`reset of the shared broker failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { unusedFaults: string[] };
}
