// `kafkalite verify` and `kafkalite dump`, run as the real CLI on a data
// directory a broker wrote (records, and a group's committed offset in
// __consumer_offsets).
import { spawnSync } from 'node:child_process';
import { mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker } from '../broker/broker.js';
import { REPO, cliCommand } from '../test/durability/helpers.js';

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...cliCommand().args, ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('kafkalite verify and dump', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kafkalite-tools-'));
    const broker = await startBroker({ dataDir });
    try {
      const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }] });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 'orders', messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `order-${i}`, partition: 0 })) });
      await producer.disconnect();
      await admin.setOffsets({ groupId: 'billing', topic: 'orders', partitions: [{ partition: 0, offset: '7' }] });
      await admin.disconnect();
    } finally {
      await broker.close();
    }
  }, 60_000);
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('verify: a sound directory exits 0; a flipped byte exits 1 naming the file and position', async () => {
    const ok = cli('verify', '--data-dir', dataDir);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/orders-0\s+1\s+1\s+10\s+0\.\.9/);
    expect(ok.stdout).toContain('no faults');
    const json = JSON.parse(cli('verify', '--data-dir', dataDir, '--json').stdout) as { faults: unknown[]; partitions: { dir: string }[] };
    expect(json.faults).toEqual([]);
    expect(json.partitions.map((p) => p.dir)).toContain('__consumer_offsets-0');

    const seg = join(dataDir, 'orders-0', (await readdir(join(dataDir, 'orders-0'))).find((n) => n.endsWith('.log'))!);
    const data = await readFile(seg);
    const fh = await open(seg, 'r+');
    await fh.write(Buffer.from([data[data.length - 2]! ^ 1]), 0, 1, data.length - 2);
    await fh.close();
    const bad = cli('verify', '--data-dir', dataDir);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/orders-0\/0{20}\.log @0: CRC mismatch/);
    const restore = await open(seg, 'r+');
    await restore.write(data, 0, data.length, 0);
    await restore.close();

    const topicsFile = join(dataDir, 'kafkalite-topics.json');
    const topics = await readFile(topicsFile);
    await writeFile(topicsFile, topics.subarray(0, topics.length - 5));
    const badTopics = cli('verify', '--data-dir', dataDir);
    expect(badTopics.code).toBe(1);
    expect(badTopics.stdout).toMatch(/kafkalite-topics\.json.*not valid JSON/);
    await writeFile(topicsFile, topics);
  });

  it('dump: batches and records of a topic, __consumer_offsets decoded, --json', () => {
    const out = cli('dump', '--data-dir', dataDir, '--topic', 'orders', '--partition', '0', '--records', '--files');
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('== orders-0 (topic orders, partition 0)');
    expect(out.stdout).toMatch(/@0 offsets 0\.\.9 count 10 .* codec none/);
    expect(out.stdout).toContain('"key":"k3","value":"order-3"');
    expect(out.stdout).toMatch(/timeindex: /);

    const offsets = JSON.parse(cli('dump', '--data-dir', dataDir, '--topic', '__consumer_offsets', '--records', '--json').stdout) as {
      segments: { batches: { records?: { coordinatorRecord?: unknown }[] }[] }[];
    }[];
    const decoded = offsets.flatMap((p) => p.segments.flatMap((s) => s.batches.flatMap((b) => (b.records ?? []).map((r) => r.coordinatorRecord))));
    expect(decoded).toContainEqual(expect.objectContaining({ type: 'offset-commit', groupId: 'billing', topic: 'orders', partition: 0, value: expect.objectContaining({ offset: 7 }) }));

    const usage = cli('dump', '--topic', 'x');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('dump needs --data-dir DIR');
  });
});
