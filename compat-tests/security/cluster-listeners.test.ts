// Issue 11: several nodes, each with a PLAINTEXT and an SSL listener: a client is
// told every node's address on the listener it came in on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { startCluster, type RunningCluster } from '../../broker/broker.js';

let cluster: RunningCluster;
beforeAll(async () => {
  const both = 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0';
  cluster = await startCluster({ nodes: 2, tls: true, listeners: [both, both] });
});
afterAll(async () => {
  await cluster?.close();
});

describe('a cluster with PLAINTEXT and SSL listeners on every node', () => {
  for (const name of ['PLAINTEXT', 'SSL']) {
    it(`answers a client on ${name} with every node's ${name} address`, async () => {
      const mine = cluster.listeners.filter((l) => l.name === name);
      const kafka = new Kafka({
        brokers: [`localhost:${mine[0]!.port}`],
        logLevel: logLevel.NOTHING,
        ...(name === 'SSL' ? { ssl: { ca: [cluster.tls!.ca] } } : {}),
      });
      const admin = kafka.admin();
      await admin.connect();
      try {
        const { brokers } = await admin.describeCluster();
        expect(brokers.map((b) => b.port).sort()).toEqual(mine.map((l) => l.port).sort());
      } finally {
        await admin.disconnect();
      }
    });
  }
});
