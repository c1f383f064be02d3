// Producing records to one topic: records are partitioned (explicit partition,
// key hash, or sticky per batch), grouped into one RecordBatch per partition,
// and sent in one Produce request per leader. A batch refused because its
// leader moved is sent again to the new leader; any other error fails the send.
import { ProduceApi } from '../protocol/messages/00-produce.js';
import { buildRecordBatch, type RecordHeader } from '../protocol/record-batch.js';
import { ErrorCode } from '../protocol/errors.js';
import { KafkaError } from './errors.js';
import type { KafkaClient, TopicInfo } from './kafka-client.js';
import { Partitioner } from './partitioner.js';

export interface ProduceRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];
  /** Explicit partition; otherwise by key hash, or sticky for unkeyed records. */
  readonly partition?: number;
}

export interface ProducerOptions {
  /** -1 (all), 0 or 1. */
  readonly acks: number;
  /** Codec id from protocol/compression.ts. */
  readonly compression: number;
  readonly timeoutMs: number;
}

export interface SendResult {
  /** Records per partition. */
  readonly counts: ReadonlyMap<number, number>;
  /** Offset of the first record of each partition's batch (-1 with acks=0). */
  readonly baseOffsets: ReadonlyMap<number, bigint>;
}

/** Leader moves a resend cures (the batch was not written). */
const RESEND: ReadonlySet<number> = new Set([ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.LEADER_NOT_AVAILABLE]);
const MAX_ATTEMPTS = 5;

export class TopicProducer {
  private readonly partitioner: Partitioner;

  constructor(
    private readonly client: KafkaClient,
    private readonly topic: TopicInfo,
    private readonly opts: ProducerOptions,
  ) {
    this.partitioner = new Partitioner(topic.partitions.length);
  }

  /** Sends the records (one batch per partition) and waits for the acks. */
  async send(records: readonly ProduceRecord[]): Promise<SendResult> {
    const byPartition = new Map<number, ProduceRecord[]>();
    for (const r of records) {
      const p = r.partition ?? this.partitioner.partition(r.key);
      if (!Number.isInteger(p) || p < 0 || p >= this.topic.partitions.length) {
        throw new KafkaError(
          ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          `produce to ${this.topic.name}-${p}`,
          `topic "${this.topic.name}" has ${this.topic.partitions.length} partition(s)`,
        );
      }
      let list = byPartition.get(p);
      if (list === undefined) byPartition.set(p, (list = []));
      list.push(r);
    }
    this.partitioner.nextBatch();

    const now = BigInt(Date.now());
    let batches = new Map<number, Buffer>();
    for (const [p, recs] of byPartition) {
      batches.set(
        p,
        await buildRecordBatch({
          records: recs.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: now })),
          compression: this.opts.compression,
        }),
      );
    }

    const baseOffsets = new Map<number, bigint>();
    for (let attempt = 1; batches.size > 0; attempt++) {
      const retry = await this.sendOnce(batches, baseOffsets, attempt < MAX_ATTEMPTS);
      if (retry.size > 0) {
        this.client.forgetLeaders();
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
      batches = retry;
    }
    return { counts: new Map([...byPartition].map(([p, rs]) => [p, rs.length])), baseOffsets };
  }

  /** One round of Produce requests; returns the batches to send again. */
  private async sendOnce(batches: Map<number, Buffer>, baseOffsets: Map<number, bigint>, mayRetry: boolean): Promise<Map<number, Buffer>> {
    const byLeader = new Map<number, number[]>();
    for (const p of batches.keys()) {
      const leader = await this.client.leaderId(this.topic.name, p);
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
    }
    const retry = new Map<number, Buffer>();
    await Promise.all(
      [...byLeader].map(async ([leader, partitions]) => {
        const conn = await this.client.node(leader);
        const body = {
          transactionalId: null,
          acks: this.opts.acks,
          timeoutMs: this.opts.timeoutMs,
          topicData: [{ name: this.topic.name, partitionData: partitions.map((index) => ({ index, records: batches.get(index)! })) }],
        };
        // v3+ carry RecordBatch v2, the only format this client writes.
        if (this.opts.acks === 0) {
          await conn.sendNoAnswer(ProduceApi, body, 3);
          for (const p of partitions) baseOffsets.set(p, -1n);
          return;
        }
        const res = await conn.request(ProduceApi, body, 3);
        for (const t of res.responses) {
          for (const p of t.partitionResponses) {
            if (p.errorCode === ErrorCode.NONE) {
              baseOffsets.set(p.index, p.baseOffset);
            } else if (mayRetry && RESEND.has(p.errorCode)) {
              retry.set(p.index, batches.get(p.index)!);
            } else {
              const detail = p.errorMessage ?? p.recordErrors.map((e) => e.batchIndexErrorMessage).find((m) => m) ?? null;
              throw new KafkaError(p.errorCode, `produce to ${t.name}-${p.index}`, detail);
            }
          }
        }
      }),
    );
    return retry;
  }
}
