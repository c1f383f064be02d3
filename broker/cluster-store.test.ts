// The cluster's topic file across restarts: version 1 files (before several
// nodes) still load, leaders and epochs survive a restart (version 2), and
// per-group configs ride along in an optional field.
import { describe, expect, it } from 'vitest';
import { MemoryFileSystem } from '../storage/fs-memory.js';
import { startBroker, startCluster } from './broker.js';
import { TOPICS_FILE } from './cluster-store.js';

const DIR = '/data';
const ID = '6c1f0e8a-3b0d-4f57-9a3e-2d4c5b6a7f80';

describe('kafkalite-topics.json', () => {
  it('loads a version 1 file: topics, ids and configs kept, partitions led as new ones are, at epoch 0', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdir(DIR);
    const v1 = { version: 1, topics: [{ name: 'old', topicId: ID, partitions: 2, configs: { 'retention.ms': '1000' } }] };
    await fs.writeFile(`${DIR}/${TOPICS_FILE}`, Buffer.from(JSON.stringify(v1)));
    const broker = await startBroker({ fs, dataDir: DIR });
    try {
      const t = broker.cluster.topic('old')!;
      expect(t.id).toBe(ID);
      expect(t.configs).toEqual({ 'retention.ms': '1000' });
      expect(t.partitions.map((p) => [p.leaderId, p.leaderEpoch])).toEqual([
        [0, 0],
        [0, 0],
      ]);
      expect(broker.logs.logOf(ID, 1)).toBeDefined();
    } finally {
      await broker.close();
    }
    const written = JSON.parse((await fs.readFile(`${DIR}/${TOPICS_FILE}`)).toString()) as { version: number };
    // Nothing changed, so nothing was rewritten: an older kafkalite can still read it.
    expect(written.version).toBe(1);
  });

  it('keeps leaders and epochs across a restart; a leader on a node that is gone moves, with a new epoch', async () => {
    const fs = new MemoryFileSystem();
    const first = await startCluster({ nodes: 3, fs, dataDir: DIR });
    await first.cluster.createTopic(first.cluster.newTopic('kept', 3));
    await first.moveLeader('kept', 0, 2);
    await first.close();
    const written = JSON.parse((await fs.readFile(`${DIR}/${TOPICS_FILE}`)).toString()) as { version: number };
    expect(written.version).toBe(2);

    const again = await startCluster({ nodes: 3, fs, dataDir: DIR });
    expect(again.cluster.topic('kept')!.partitions.map((p) => [p.leaderId, p.leaderEpoch])).toEqual([
      [2, 1],
      [1, 0],
      [2, 0],
    ]);
    await again.close();

    const smaller = await startCluster({ nodes: 2, fs, dataDir: DIR });
    expect(smaller.cluster.topic('kept')!.partitions.map((p) => [p.leaderId, p.leaderEpoch])).toEqual([
      [0, 2],
      [1, 0],
      [0, 1],
    ]);
    await smaller.close();
  });

  it('keeps group configs in an optional field: absent when none, written and read back otherwise, topics unchanged', async () => {
    const fs = new MemoryFileSystem();
    const first = await startBroker({ fs, dataDir: DIR });
    await first.cluster.createTopic(first.cluster.newTopic('t', 1));
    const file = async () => JSON.parse((await fs.readFile(`${DIR}/${TOPICS_FILE}`)).toString()) as Record<string, unknown>;
    expect(Object.keys(await file())).toEqual(['version', 'topics']);
    await first.cluster.updateGroupConfigs('g', { 'consumer.heartbeat.interval.ms': '6000' });
    const written = await file();
    expect(written).toMatchObject({ version: 2, groupConfigs: { g: { 'consumer.heartbeat.interval.ms': '6000' } } });
    expect((written.topics as { name: string }[]).map((t) => t.name)).toContain('t');
    await first.close();

    const second = await startBroker({ fs, dataDir: DIR });
    try {
      expect(second.cluster.groupConfigs('g')).toEqual({ 'consumer.heartbeat.interval.ms': '6000' });
      expect(second.cluster.topic('t')).toBeDefined();
      await second.cluster.updateGroupConfigs('g', {});
      expect(await file()).not.toHaveProperty('groupConfigs');
    } finally {
      await second.close();
    }
  });
});
