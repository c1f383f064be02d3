// Issue 11: several nodes, each with a PLAINTEXT and an SSL listener: a client is
// told every node's address on the listener it came in on. Nodes with different
// listener sets: a node without the client's listener is not listed, a partition it
// leads has no leader for that client (LISTENER_NOT_FOUND from Metadata v6), and a
// coordinator on it is not available, as Kafka's MetadataCache answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { startCluster, type RunningCluster } from '../../broker/broker.js';
import { RawClient } from '../../test/support/raw-client.js';
import { MetadataApi } from '../../protocol/messages/03-metadata.js';
import { DescribeClusterApi } from '../../protocol/messages/60-describe-cluster.js';
import { FindCoordinatorApi } from '../../protocol/messages/10-find-coordinator.js';
import { ErrorCode } from '../../protocol/errors.js';

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

describe('nodes with different listener sets (node 0: PLAINTEXT and SSL, node 1: PLAINTEXT only)', () => {
  let mixed: RunningCluster;
  const TOPIC = 'mixed-listeners';
  beforeAll(async () => {
    mixed = await startCluster({ nodes: 2, tls: true, listeners: ['PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0', 'PLAINTEXT://127.0.0.1:0'] });
    // Partition i is led by node i % 2.
    await mixed.cluster.createTopic(mixed.cluster.newTopic(TOPIC, 2));
  });
  afterAll(async () => {
    await mixed?.close();
  });
  const port = (nodeId: number, name: string) => mixed.listeners.find((l) => l.nodeId === nodeId && l.name === name)!.port;
  const ssl = () => RawClient.connectTls('127.0.0.1', port(0, 'SSL'), { ca: [mixed.tls!.ca] });
  const metadata = (c: RawClient, v: number) =>
    c.request(MetadataApi, v, { topics: [{ name: TOPIC, topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });

  it('a client on SSL is told only node 0; node 1\'s partition has no leader for it', async () => {
    const c = await ssl();
    try {
      for (const [v, error] of [[12, ErrorCode.LISTENER_NOT_FOUND], [5, ErrorCode.LEADER_NOT_AVAILABLE]] as const) {
        const md = await metadata(c, v);
        expect(md.brokers.map((b) => [b.nodeId, b.port])).toEqual([[0, port(0, 'SSL')]]);
        expect(md.topics[0]!.partitions.map((p) => [p.partitionIndex, p.errorCode, p.leaderId])).toEqual([
          [0, ErrorCode.NONE, 0],
          [1, error, -1],
        ]);
      }
      const dc = await c.request(DescribeClusterApi, 1, { includeClusterAuthorizedOperations: false, endpointType: 1 });
      expect(dc.brokers.map((b) => b.brokerId)).toEqual([0]);
    } finally {
      c.close();
    }
  });

  it('a client on PLAINTEXT is told both nodes, every partition with its leader', async () => {
    const c = await RawClient.connect('127.0.0.1', port(1, 'PLAINTEXT'));
    try {
      const md = await metadata(c, 12);
      expect(md.brokers.map((b) => [b.nodeId, b.port])).toEqual([[0, port(0, 'PLAINTEXT')], [1, port(1, 'PLAINTEXT')]]);
      expect(md.topics[0]!.partitions.map((p) => [p.errorCode, p.leaderId])).toEqual([[0, 0], [0, 1]]);
    } finally {
      c.close();
    }
  });

  it('a coordinator on node 1 is not available to a client on SSL', async () => {
    const plain = await RawClient.connect('127.0.0.1', port(0, 'PLAINTEXT'));
    const c = await ssl();
    try {
      // Group ids until one is coordinated by each node.
      const byNode = new Map<number, string>();
      for (let i = 0; byNode.size < 2 && i < 100; i++) {
        const key = `group-${i}`;
        const r = await plain.request(FindCoordinatorApi, 4, { keyType: 0, coordinatorKeys: [key] });
        byNode.set(r.coordinators[0]!.nodeId, key);
      }
      const r = await c.request(FindCoordinatorApi, 4, { keyType: 0, coordinatorKeys: [byNode.get(0)!, byNode.get(1)!] });
      expect(r.coordinators.map((x) => [x.errorCode, x.nodeId])).toEqual([[ErrorCode.NONE, 0], [ErrorCode.COORDINATOR_NOT_AVAILABLE, -1]]);
    } finally {
      plain.close();
      c.close();
    }
  });
});
