// The bookkeeping of a crash test: every batch the producers sent, what its
// answer said, and a check of the whole log against it after a restart.
//
// A batch is identified by the keys of its records (`<batch id>/<index>`), so
// a read of the log names every batch it finds. The rules checked by verify():
//   - the log serves only batches somebody sent, whole, with good CRCs,
//     contiguous from the log start (readServedLog), byte for byte as sent
//     but for the broker's stamps (baseOffset, partition leader epoch);
//   - no batch is in the log twice;
//   - a batch whose answer promised durability (acks=-1 in group-commit mode)
//     is there, at the offset the answer named;
//   - any answered batch that is there is at the offset its answer named, and
//     an answered batch that is gone took everything after it with it (the
//     log after a crash is a prefix of the log before);
//   - a batch read once is read again at the same offset after every later
//     crash; one found missing after a crash never comes back.
import type { RawClient } from '../support/raw-client.js';
import { buildRecordBatchSync, type RecordHeader } from '../../protocol/record-batch.js';
import { ErrorCode } from '../../protocol/errors.js';
import { listOffset, produce, readServedLog } from './helpers.js';

export interface SentRecord {
  key: Buffer;
  value: Buffer | null;
  headers: RecordHeader[];
  timestamp: bigint;
}

export interface SentBatch {
  id: string;
  partition: number;
  records: SentRecord[];
  bytes: Buffer;
  idempotent: boolean;
  producerId: bigint;
  sequence: number;
  acks: number;
  /** inflight: sent, no answer; acked: answered NONE; lost: not in the log after a crash. */
  state: 'inflight' | 'acked' | 'lost';
  /** The answer promised it survives a crash. */
  promised: boolean;
  /** The baseOffset the answer named. */
  ackedOffset?: number;
  /** Where a read of the log found it. */
  seenAt?: number;
  /** A tolerated error code it was answered with (its fate is unknown, like an unanswered one). */
  failedWith?: number;
}

export interface Producer {
  index: number;
  idempotent: boolean;
  compression: number;
  acks: number;
  /** Requests kept in flight on its connection. */
  lanes: number;
  producerId: bigint;
  nextSequence: number[];
  nextBatch: number;
}

export interface VerifyResult {
  /** Batches found that were unanswered when the broker went down. */
  survivedUnacked: number;
  /** High watermark per partition. */
  logEnd: number[];
}

export class Ledger {
  readonly sent = new Map<string, SentBatch>();
  readonly producers: Producer[] = [];
  /** Error codes a produce may answer with (the batch then may or may not be in the log); others fail the test. */
  readonly tolerated = new Set<number>();

  constructor(
    readonly topic: string,
    public topicId: string,
    readonly partitions: number,
    private readonly random: () => number,
    /** Whether an answered batch with these acks is promised to survive a crash. */
    private readonly promises: (acks: number) => boolean,
    /** Largest value size. */
    private readonly maxValueBytes = 300,
  ) {}

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.random() * (hi - lo + 1));
  }

  private randomBytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(this.random() * 256);
    return b;
  }

  addProducer(p: Omit<Producer, 'index' | 'nextSequence' | 'nextBatch'>): Producer {
    const producer: Producer = { ...p, index: this.producers.length, nextSequence: new Array<number>(this.partitions).fill(0), nextBatch: 0 };
    this.producers.push(producer);
    return producer;
  }

  /** A new batch of 1-6 records for a random partition (the next sequence numbers for idempotent producers). */
  buildBatch(p: Producer, partition = this.int(0, this.partitions - 1)): SentBatch {
    const id = `p${p.index}.${p.nextBatch++}`;
    const count = this.int(1, 6);
    const now = BigInt(Date.now());
    const records: SentRecord[] = [];
    for (let i = 0; i < count; i++) {
      const roll = this.random();
      records.push({
        key: Buffer.from(`${id}/${i}`),
        value: roll < 0.05 ? null : this.randomBytes(this.int(0, this.maxValueBytes)),
        headers: roll > 0.7 ? [{ key: 'batch', value: Buffer.from(id) }, { key: 'n', value: null }] : [],
        timestamp: now + BigInt(i),
      });
    }
    const sequence = p.idempotent ? p.nextSequence[partition]! : -1;
    if (p.idempotent) p.nextSequence[partition] = sequence + count;
    const bytes = buildRecordBatchSync({
      records,
      compression: p.compression,
      producerId: p.producerId,
      producerEpoch: p.idempotent ? 0 : -1,
      baseSequence: sequence,
    });
    const s: SentBatch = { id, partition, records, bytes, idempotent: p.idempotent, producerId: p.producerId, sequence, acks: p.acks, state: 'inflight', promised: false };
    this.sent.set(id, s);
    return s;
  }

  /** Records a produce answer; throws on an error code that is not tolerated. */
  answered(s: SentBatch, answer: { errorCode: number; errorMessage: string | null; baseOffset: bigint }): void {
    if (answer.errorCode !== ErrorCode.NONE && this.tolerated.has(answer.errorCode)) {
      s.failedWith = answer.errorCode;
      return;
    }
    if (answer.errorCode !== ErrorCode.NONE) {
      throw new Error(`${s.id} (partition ${s.partition}, sequence ${s.sequence}) was answered with error ${answer.errorCode}: ${answer.errorMessage ?? ''}`);
    }
    s.state = 'acked';
    s.ackedOffset = Number(answer.baseOffset);
    s.promised = this.promises(s.acks);
  }

  /**
   * Every producer sends batches on its own connection, `lanes` requests in
   * flight, until the promise `stop()` returns (called once all are connected)
   * resolves or the connection drops. Resolves with the batches sent; rejects
   * if any answer carried an error.
   */
  async produceUntil(connect: () => Promise<RawClient>, stop: () => Promise<unknown>): Promise<SentBatch[]> {
    let stopped = false;
    const errors: string[] = [];
    const mine: SentBatch[] = [];
    const clients: RawClient[] = [];
    const lanes: Promise<void>[] = [];
    for (const p of this.producers) clients.push(await connect());
    for (const [i, p] of this.producers.entries()) {
      const c = clients[i]!;
      const closed = c.closed.then(() => Promise.reject(new Error('connection closed')));
      closed.catch(() => undefined);
      for (let lane = 0; lane < p.lanes; lane++) {
        lanes.push(
          (async () => {
            while (!stopped) {
              const s = this.buildBatch(p);
              mine.push(s);
              let answer;
              try {
                answer = await Promise.race([produce(c, this.topic, s.partition, s.bytes, s.acks), closed]);
              } catch {
                return; // the broker went down
              }
              try {
                this.answered(s, answer);
              } catch (e) {
                errors.push((e as Error).message);
                stopped = true;
                return;
              }
              if (s.failedWith !== undefined) await new Promise((r) => setTimeout(r, 2)); // a client's retry backoff
            }
          })(),
        );
      }
    }
    try {
      await stop();
    } finally {
      stopped = true;
    }
    return Promise.all(lanes).then(() => {
      for (const c of clients) c.close();
      if (errors.length > 0) throw new Error(`produce answered with errors:\n${errors.join('\n')}`);
      return mine;
    });
  }

  /** Reads every partition and checks it against what was sent and answered (see the file header). */
  async verify(c: RawClient, where: string): Promise<VerifyResult> {
    const found = new Map<string, { partition: number; offset: number }>();
    let survivedUnacked = 0;
    const logEnd: number[] = [];
    for (let partition = 0; partition < this.partitions; partition++) {
      const log = await readServedLog(c, this.topicId, partition, where);
      const latest = await listOffset(c, this.topic, partition, -1n);
      const earliest = await listOffset(c, this.topic, partition, -2n);
      if (latest.offset !== BigInt(log.highWatermark) || earliest.offset !== BigInt(log.logStartOffset)) {
        throw new Error(`${where} partition ${partition}: ListOffsets says [${earliest.offset}, ${latest.offset}), fetch read [${log.logStartOffset}, ${log.highWatermark})`);
      }
      logEnd.push(log.highWatermark);
      log.batches.forEach((batch, i) => {
        const offset = Number(batch.header.baseOffset);
        const firstKey = batch.records[0]?.key?.toString() ?? '';
        const id = firstKey.slice(0, firstKey.lastIndexOf('/'));
        const s = this.sent.get(id);
        if (!s) throw new Error(`${where} partition ${partition} offset ${offset}: a batch nobody sent (first key "${firstKey}")`);
        const other = found.get(id);
        if (other) throw new Error(`${where} batch ${id} is in the log twice: partition ${other.partition} offset ${other.offset} and partition ${partition} offset ${offset}`);
        found.set(id, { partition, offset });
        if (s.partition !== partition) throw new Error(`${where} batch ${id} sent to partition ${s.partition} is in partition ${partition}`);
        if (s.ackedOffset !== undefined && s.ackedOffset !== offset) {
          throw new Error(`${where} batch ${id} was answered with offset ${s.ackedOffset} but is at ${offset}`);
        }
        if (s.seenAt !== undefined && s.seenAt !== offset) throw new Error(`${where} batch ${id} was read at offset ${s.seenAt} before, now at ${offset}`);
        if (s.state === 'lost') throw new Error(`${where} batch ${id} was missing after an earlier crash and is back at ${offset}`);
        // Byte for byte as sent, but for baseOffset (0..8) and the leader epoch (12..16).
        const served = log.raw[i]!;
        if (served.length !== s.bytes.length || !served.subarray(8, 12).equals(s.bytes.subarray(8, 12)) || !served.subarray(16).equals(s.bytes.subarray(16))) {
          throw new Error(`${where} batch ${id} at offset ${offset} differs from the bytes sent`);
        }
        if (batch.records.length !== s.records.length) throw new Error(`${where} batch ${id}: ${batch.records.length} records, sent ${s.records.length}`);
        batch.records.forEach((r, k) => {
          const want = s.records[k]!;
          const same =
            r.key !== null &&
            r.key.equals(want.key) &&
            (r.value === null ? want.value === null : want.value !== null && r.value.equals(want.value)) &&
            r.timestamp === want.timestamp &&
            r.headers.length === want.headers.length &&
            r.headers.every((h, j) => h.key === want.headers[j]!.key && (h.value === null ? want.headers[j]!.value === null : h.value.equals(want.headers[j]!.value ?? Buffer.alloc(0))));
          if (!same) throw new Error(`${where} record ${k} of batch ${id} at offset ${offset + k} is not the record sent`);
        });
        if (s.state === 'inflight' && s.seenAt === undefined) survivedUnacked++;
        s.seenAt = offset;
      });
    }
    for (const s of this.sent.values()) {
      if (found.has(s.id) || s.state === 'lost') continue;
      if (s.seenAt !== undefined) throw new Error(`${where} batch ${s.id} was read at offset ${s.seenAt} before and is missing now`);
      if (s.state !== 'acked') continue;
      if (s.promised) throw new Error(`${where} batch ${s.id} acknowledged with acks=${s.acks} (partition ${s.partition}, offset ${s.ackedOffset}) is missing`);
      if (logEnd[s.partition]! > s.ackedOffset!) {
        throw new Error(`${where} batch ${s.id} answered at offset ${s.ackedOffset} is missing, yet partition ${s.partition} goes on to ${logEnd[s.partition]}: not a prefix`);
      }
    }
    return { survivedUnacked, logEnd };
  }

  /**
   * After a restart: the idempotent producers resend what was unanswered, in
   * sequence order per partition, as a real producer does after a reconnect;
   * one that survived must be answered with its offset, a lost one appended at
   * the log end. Then every unanswered or unpromised batch not in the log is
   * marked lost. Returns the number of retries.
   */
  async afterRestart(c: RawClient, logEnd: number[], where: string): Promise<number> {
    const pending = [...this.sent.values()]
      .filter((s) => s.idempotent && (s.state === 'inflight' || (s.state === 'acked' && s.seenAt === undefined)))
      .sort((a, b) => (a.producerId === b.producerId ? (a.partition === b.partition ? a.sequence - b.sequence : a.partition - b.partition) : a.producerId < b.producerId ? -1 : 1));
    const next = [...logEnd];
    for (const s of pending) {
      const answer = await produce(c, this.topic, s.partition, Buffer.from(s.bytes), -1);
      if (answer.errorCode !== ErrorCode.NONE) {
        throw new Error(`${where} retry of ${s.id} (producer ${s.producerId}, partition ${s.partition}, sequence ${s.sequence}) failed with error ${answer.errorCode}: ${answer.errorMessage}`);
      }
      const offset = Number(answer.baseOffset);
      if (s.seenAt !== undefined) {
        if (offset !== s.seenAt) throw new Error(`${where} retry of ${s.id}, which is in the log at ${s.seenAt}, was answered with offset ${offset}`);
      } else {
        if (offset !== next[s.partition]) throw new Error(`${where} retry of lost batch ${s.id} was appended at ${offset}, log end was ${next[s.partition]}`);
        next[s.partition] = offset + s.records.length;
      }
      s.state = 'acked';
      s.ackedOffset = offset;
      s.acks = -1;
      s.promised = this.promises(-1);
    }
    // What is not in the log now never will be (the retried batches are acked).
    for (const s of this.sent.values()) if (s.seenAt === undefined && !(s.state === 'acked' && s.idempotent)) s.state = 'lost';
    return pending.length;
  }
}
