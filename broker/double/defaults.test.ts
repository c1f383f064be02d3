import { describe, expect, it } from 'vitest';
import { startBroker } from '../broker.js';
import { brokerConfigDefinition } from '../config.js';

const NAME = 'group.initial.rebalance.delay.ms';

describe('test-double defaults', () => {
  it('startBroker() starts new groups without the initial rebalance delay; an explicit setting wins', async () => {
    const b = await startBroker();
    const explicit = await startBroker({ config: { [NAME]: '250' } });
    try {
      expect(b.config.values[NAME]).toBe(0);
      expect(explicit.config.values[NAME]).toBe(250);
    } finally {
      await b.close();
      await explicit.close();
    }
  });

  it('testDefaults: false (the CLI) keeps the config table default, which is Kafka\'s', async () => {
    const b = await startBroker({ testDefaults: false });
    try {
      const def = brokerConfigDefinition(NAME);
      expect(b.config.values[NAME]).toBe(def?.default);
      expect(b.config.values[NAME]).toBeGreaterThan(0);
    } finally {
      await b.close();
    }
  });
});
