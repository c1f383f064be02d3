// kcat (librdkafka) against a 3-node cluster run by the real CLI
// (`kafkalite start --memory --nodes 3`): metadata lists three brokers with the
// partitions' leaders spread over them, and records produced to partitions led
// by each node come back from each.
import { spawn, type ChildProcess } from 'node:child_process';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { kcat, kcatVersion } from '../support/kcat.js';
import { cliCommand, REPO } from '../../test/durability/helpers.js';

interface Banner {
  nodes: { nodeId: number; advertised: string }[];
}

/** Starts the CLI with three nodes on free ports; resolves with its banner line. */
function startCli(): Promise<{ proc: ChildProcess; banner: Banner }> {
  const cmd = cliCommand();
  const args = [...cmd.args, 'start', '--memory', '--nodes', '3', '--log-level', 'info'];
  for (let i = 0; i < 3; i++) args.push('--node-listeners', 'PLAINTEXT://127.0.0.1:0');
  const proc = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  return new Promise((resolve, reject) => {
    let buf = '';
    const output: string[] = [];
    proc.stderr!.on('data', (s: Buffer) => output.push(s.toString()));
    proc.once('exit', (code) => reject(new Error(`kafkalite exited with ${code} before listening: ${output.join('')}`)));
    proc.stdout!.on('data', (s: Buffer) => {
      buf += s.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        output.push(line);
        try {
          const parsed = JSON.parse(line) as Partial<Banner>;
          if (Array.isArray(parsed.nodes)) resolve({ proc, banner: parsed as Banner });
        } catch {
          // not a JSON log line
        }
      }
    });
  });
}

describe.skipIf(!kcatVersion())('kcat against a 3-node CLI cluster', () => {
  let proc: ChildProcess | undefined;
  let banner: Banner;
  let bootstrap: string;

  beforeAll(async () => {
    ({ proc, banner } = await startCli());
    bootstrap = banner.nodes.map((n) => n.advertised).join(',');
  });

  afterAll(async () => {
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc!.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  });

  it('lists three brokers and produces to and consumes from partitions led by each', async () => {
    expect(banner.nodes.map((n) => n.nodeId)).toEqual([0, 1, 2]);
    const topic = 'kcat-cluster';
    const kafka = new Kafka({ brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
    await admin.disconnect();

    const res = await kcat(['-L', '-J', '-b', bootstrap, '-t', topic, '-m', '10']);
    expect(res.code, res.stderr).toBe(0);
    const meta = JSON.parse(res.stdout) as { brokers: { id: number; name: string }[]; topics: { topic: string; partitions: { partition: number; leader: number }[] }[] };
    expect(meta.brokers.map((b) => b.id).sort()).toEqual([0, 1, 2]);
    expect(meta.brokers.map((b) => b.name).sort()).toEqual(banner.nodes.map((n) => n.advertised).sort());
    const partitions = meta.topics.find((t) => t.topic === topic)!.partitions;
    expect(new Set(partitions.map((p) => p.leader))).toEqual(new Set([0, 1, 2]));

    for (const p of partitions) {
      const lines = [0, 1, 2].map((i) => `led-by-${p.leader}-${i}`);
      const prod = await kcat(['-P', '-b', bootstrap, '-t', topic, '-p', String(p.partition)], { input: `${lines.join('\n')}\n` });
      expect(prod.code, prod.stderr).toBe(0);
      const cons = await kcat(['-C', '-b', bootstrap, '-t', topic, '-p', String(p.partition), '-o', 'beginning', '-e', '-q']);
      expect(cons.code, cons.stderr).toBe(0);
      expect(cons.stdout.trim().split('\n')).toEqual(lines);
    }
  });
});
