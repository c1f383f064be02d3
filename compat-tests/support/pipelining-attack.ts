// The pipelining attack of issue 7: many connections each send thousands of
// ApiVersions requests in one burst and never read a response. Used by the
// regression test (a smaller attack) and by bench/pipelining-attack.ts (full size),
// both against a broker child process whose RSS is read from /proc, while a
// kafkajs producer sends one record at a time and its latencies are recorded.
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { RawClient } from '../../test/support/raw-client.js';
import { ApiVersionsApi } from '../../protocol/messages/18-api-versions.js';

/** Resident set size of a process, in bytes (Linux /proc). */
export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** Samples a process's RSS every `everyMs` until stopped; keeps the peak. */
export class RssSampler {
  peak = 0;
  private readonly timer: NodeJS.Timeout;
  constructor(
    private readonly pid: number,
    everyMs = 50,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }
  sample(): number {
    const rss = rssOf(this.pid);
    if (rss > this.peak) this.peak = rss;
    return rss;
  }
  stop(): number {
    clearInterval(this.timer);
    return this.sample();
  }
}

export interface Attack {
  /** Request bytes the attackers have written (all of them once written; the broker may not have read them). */
  readonly bytes: number;
  /** Destroys every attacking connection. */
  close(): void;
}

/** Opens `connections` sockets, each writing `requests` ApiVersions requests at once and never reading. */
export async function startAttack(host: string, port: number, connections: number, requests: number): Promise<Attack> {
  const encoder = await RawClient.connect(host, port);
  const frame = encoder.encode(ApiVersionsApi, 3, { clientSoftwareName: 'attacker', clientSoftwareVersion: '1' }, 1);
  encoder.close();
  const burst = Buffer.concat(Array.from({ length: requests }, () => frame));
  const sockets: Socket[] = await Promise.all(
    Array.from(
      { length: connections },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const s = connect({ host, port }, () => {
            s.off('error', reject);
            s.on('error', () => {});
            // Never reading: the responses stay in the kernel buffers, then in the broker.
            s.pause();
            s.write(burst);
            resolve(s);
          });
          s.once('error', reject);
        }),
    ),
  );
  return {
    bytes: burst.length * connections,
    close: () => {
      for (const s of sockets) s.destroy();
    },
  };
}

/** A kafkajs producer sending one record at a time (acks=1) and recording each send's latency in ms. */
export class LatencyProbe {
  readonly latencies: number[] = [];
  private running = false;
  private loop: Promise<void> = Promise.resolve();

  private constructor(
    private readonly producer: Producer,
    private readonly topic: string,
  ) {}

  static async open(bootstrap: string, topic: string): Promise<LatencyProbe> {
    const kafka = new Kafka({ brokers: [bootstrap], clientId: 'latency-probe', logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    return new LatencyProbe(producer, topic);
  }

  /** Sends `n` records one after another; resolves with their latencies. */
  async send(n: number): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(await this.sendOne());
    return out;
  }

  /** Sends continuously until `stop()`. */
  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) this.latencies.push(await this.sendOne());
    })();
  }

  async stop(): Promise<number[]> {
    this.running = false;
    await this.loop;
    return this.latencies;
  }

  close(): Promise<void> {
    return this.producer.disconnect();
  }

  private async sendOne(): Promise<number> {
    const t0 = performance.now();
    await this.producer.send({ topic: this.topic, acks: 1, messages: [{ value: 'probe' }] });
    return performance.now() - t0;
  }
}
