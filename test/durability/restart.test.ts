// Restarts keep the data:
//   - a clean stop (SIGTERM) of the real CLI keeps every topic with its id,
//     configs and partition count, every record byte for byte (keys, values,
//     headers, timestamps, offsets), log start offsets moved by DeleteRecords,
//     and the idempotent producers' state (a retried batch is answered with
//     its original offset, not appended again);
//   - in process, on a MemoryFileSystem that drops what was never fsynced
//     (crash()): in interval mode unsynced data may be lost but the log that
//     is left is consistent (a prefix, whole batches); in group-commit mode
//     nothing acknowledged with acks=-1 is lost, crash after crash.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RawClient } from '../support/raw-client.js';
import { buildRecordBatch, type RecordHeader } from '../../protocol/record-batch.js';
import { Compression } from '../../protocol/compression.js';
import { ErrorCode } from '../../protocol/errors.js';
import { DeleteRecordsApi } from '../../protocol/messages/21-delete-records.js';
import { CreatePartitionsApi } from '../../protocol/messages/37-create-partitions.js';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { MemoryFileSystem } from '../../storage/fs-memory.js';
import type { FileHandle, FileLock, FileStat, FileSystem, OpenMode } from '../../storage/fs.js';
import { RawClient as Client } from '../support/raw-client.js';
import {
  ChildBroker,
  createTopic,
  fetchOnce,
  initProducerId,
  listOffset,
  metadata,
  produce,
  prng,
  readServedLog,
  seedFrom,
  sleep,
  type ServedLog,
} from './helpers.js';
import { Ledger } from './ledger.js';

interface Rec {
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
  timestamp: bigint;
}

async function deleteRecords(c: RawClient, topic: string, partition: number, offset: bigint): Promise<{ errorCode: number; lowWatermark: bigint }> {
  const res = await c.request(DeleteRecordsApi, 2, { topics: [{ name: topic, partitions: [{ partitionIndex: partition, offset }] }], timeoutMs: 10_000 });
  const p = res.topics[0]!.partitions[0]!;
  return { errorCode: p.errorCode, lowWatermark: p.lowWatermark };
}

async function createPartitions(c: RawClient, topic: string, count: number): Promise<number> {
  const res = await c.request(CreatePartitionsApi, 3, { topics: [{ name: topic, count, assignments: null }], timeoutMs: 10_000, validateOnly: false });
  return res.results[0]!.errorCode;
}

function recordsEqual(a: Rec, b: Rec): boolean {
  const bufEq = (x: Buffer | null, y: Buffer | null): boolean => (x === null || y === null ? x === y : x.equals(y));
  return (
    bufEq(a.key, b.key) &&
    bufEq(a.value, b.value) &&
    a.timestamp === b.timestamp &&
    a.headers.length === b.headers.length &&
    a.headers.every((h, i) => h.key === b.headers[i]!.key && bufEq(h.value, b.headers[i]!.value))
  );
}

/** The served log's records must be exactly the expected ones, offset by offset. */
function expectRecords(log: ServedLog, expected: Map<number, Rec>, what: string): void {
  let n = 0;
  for (const b of log.batches) {
    for (const r of b.records) {
      const want = expected.get(Number(r.offset));
      if (!want || !recordsEqual(r, want)) throw new Error(`${what}: record at offset ${r.offset} is not the one produced there`);
      n++;
    }
  }
  const first = log.batches.length > 0 ? Number(log.batches[0]!.header.baseOffset) : log.logStartOffset;
  expect(first).toBeLessThanOrEqual(log.logStartOffset);
  expect(n, `${what}: records served`).toBe(log.highWatermark - first);
}

describe('clean restart of the CLI (SIGTERM)', () => {
  let dataDir = '';
  let broker: ChildBroker | undefined;

  afterAll(async () => {
    await broker?.kill();
    if (dataDir !== '') await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps topics, ids, configs, partition counts, records, log start offsets and producer state', { timeout: 60_000 }, async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kafkalite-restart-'));
    broker = await ChildBroker.start({ dataDir });
    let c = await broker.connect();
    const random = prng(1);
    const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));

    const ordersConfigs = { 'cleanup.policy': 'delete', 'retention.ms': '-1', 'max.message.bytes': '20000', 'segment.bytes': '1048576', 'index.interval.bytes': '256' };
    const auditConfigs = { 'message.timestamp.type': 'LogAppendTime' };
    const orders = await createTopic(c, 'orders', 3, ordersConfigs);
    const audit = await createTopic(c, 'audit', 1, auditConfigs);
    expect([orders.errorCode, audit.errorCode]).toEqual([0, 0]);
    expect(await createPartitions(c, 'audit', 2)).toBe(ErrorCode.NONE);
    const ids = { orders: orders.topicId, audit: audit.topicId };

    // What was produced where: topic -> partition -> offset -> record.
    const expected = new Map<string, Map<number, Rec>[]>([
      ['orders', [new Map(), new Map(), new Map()]],
      ['audit', [new Map(), new Map()]],
    ]);
    const t0 = BigInt(Date.now()) - 3_600_000n;
    let tsNext = t0;
    const send = async (topic: string, partition: number, records: Rec[], opts: { compression?: number; producerId?: bigint; baseSequence?: number; acks?: number } = {}) => {
      const batch = await buildRecordBatch({
        records,
        compression: opts.compression ?? Compression.none,
        producerId: opts.producerId ?? -1n,
        producerEpoch: opts.producerId !== undefined ? 0 : -1,
        baseSequence: opts.baseSequence ?? -1,
      });
      const answer = await produce(c, topic, partition, Buffer.from(batch), opts.acks ?? -1);
      expect(answer.errorCode, answer.errorMessage ?? '').toBe(ErrorCode.NONE);
      const base = Number(answer.baseOffset);
      const appendTime = answer.logAppendTimeMs;
      records.forEach((r, i) => expected.get(topic)![partition]!.set(base + i, appendTime >= 0n ? { ...r, timestamp: appendTime } : r));
      return { batch, baseOffset: base, logAppendTimeMs: appendTime };
    };
    const rec = (over: Partial<Rec> = {}): Rec => ({ key: bytes(8), value: bytes(40), headers: [], timestamp: tsNext++, ...over });

    // orders-0: more than one 1 MiB segment of incompressible 18 KiB batches.
    for (let i = 0; i < 70; i++) await send('orders', 0, Array.from({ length: 6 }, () => rec({ value: bytes(3000) })), { acks: i % 2 === 0 ? 1 : -1 });
    // orders-1: every codec, null keys and values, headers, odd timestamps; then an idempotent producer.
    const codecs = [Compression.none, Compression.gzip, Compression.snappy, Compression.lz4, Compression.zstd];
    for (const [i, compression] of codecs.entries()) {
      await send(
        'orders',
        1,
        [
          rec({ key: null }),
          rec({ value: null, headers: [{ key: 'h1', value: Buffer.from('v1') }, { key: 'h-null', value: null }, { key: 'ünï', value: Buffer.alloc(0) }] }),
          rec({ key: Buffer.from(`clé-${i}`), value: Buffer.from('x'.repeat(500)), timestamp: t0 - 86_400_000n * BigInt(i + 1) }),
        ],
        { compression },
      );
    }
    const { producerId } = await initProducerId(c);
    const idem: { batch: Buffer; baseOffset: number; sequence: number }[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await send('orders', 1, [rec(), rec(), rec()], { producerId, baseSequence: i * 3, compression: Compression.lz4 });
      idem.push({ batch: r.batch, baseOffset: r.baseOffset, sequence: i * 3 });
    }
    // orders-2: small batches, then DeleteRecords into the middle of a batch.
    for (let i = 0; i < 10; i++) await send('orders', 2, [rec(), rec()], { acks: 1 });
    // audit: LogAppendTime, both partitions.
    for (let p = 0; p < 2; p++) for (let i = 0; i < 4; i++) await send('audit', p, [rec(), rec({ headers: [{ key: 'p', value: Buffer.from(String(p)) }] })]);

    // DeleteRecords: orders-0 past its first segment, orders-2 into a batch.
    const segmentsBefore = (await readdir(join(dataDir, 'orders-0'))).filter((f) => f.endsWith('.log')).length;
    expect(segmentsBefore).toBeGreaterThanOrEqual(2);
    expect(await deleteRecords(c, 'orders', 0, 363n)).toEqual({ errorCode: ErrorCode.NONE, lowWatermark: 363n });
    expect(await deleteRecords(c, 'orders', 2, 7n)).toEqual({ errorCode: ErrorCode.NONE, lowWatermark: 7n });
    expect((await readdir(join(dataDir, 'orders-0'))).filter((f) => f.endsWith('.log')).length).toBe(segmentsBefore - 1);

    // Everything as served before the stop.
    const partitions: [string, number][] = [['orders', 0], ['orders', 1], ['orders', 2], ['audit', 0], ['audit', 1]];
    const before = new Map<string, ServedLog>();
    const offsetsBefore = new Map<string, unknown>();
    for (const [topic, p] of partitions) {
      const log = await readServedLog(c, ids[topic as 'orders' | 'audit'], p, `${topic}-${p} before the restart`);
      expectRecords(log, expected.get(topic)![p]!, `${topic}-${p} before the restart`);
      before.set(`${topic}-${p}`, log);
      offsetsBefore.set(`${topic}-${p}`, await Promise.all([-2n, -1n, -3n, t0 + 5n].map((ts) => listOffset(c, topic, p, ts))));
    }
    expect(before.get('orders-0')!.logStartOffset).toBe(363);
    expect(before.get('orders-2')!.logStartOffset).toBe(7);
    const producerCountBefore = idem.length;
    c.close();

    // The clean stop: exit 0, the marker written; the start after it is a clean one.
    expect(await broker.stop()).toBe(0);
    expect((await stat(join(dataDir, '.kafka_cleanshutdown'))).isFile()).toBe(true);
    broker = await ChildBroker.start({ dataDir });
    expect(broker.loadedClean).toBe(true);
    c = await broker.connect();

    // Topics: the same names, ids and partition counts.
    const md = await metadata(c);
    const topics = new Map(md.topics.map((t) => [t.name, t]));
    expect(topics.get('orders')).toMatchObject({ errorCode: 0, topicId: ids.orders });
    expect(topics.get('audit')).toMatchObject({ errorCode: 0, topicId: ids.audit });
    expect(topics.get('orders')!.partitions.length).toBe(3);
    expect(topics.get('audit')!.partitions.length).toBe(2);

    // Records: byte-identical batches, the same offsets, log starts and watermarks.
    for (const [topic, p] of partitions) {
      const what = `${topic}-${p} after the restart`;
      const log = await readServedLog(c, ids[topic as 'orders' | 'audit'], p, what);
      const was = before.get(`${topic}-${p}`)!;
      expect([log.logStartOffset, log.highWatermark], what).toEqual([was.logStartOffset, was.highWatermark]);
      expect(log.raw.length, what).toBe(was.raw.length);
      log.raw.forEach((b, i) => expect(b.equals(was.raw[i]!), `${what}: batch ${i}`).toBe(true));
      expectRecords(log, expected.get(topic)![p]!, what);
      expect(await Promise.all([-2n, -1n, -3n, t0 + 5n].map((ts) => listOffset(c, topic, p, ts))), `${what}: ListOffsets`).toEqual(offsetsBefore.get(`${topic}-${p}`));
    }
    // Below the log start is out of range, as before.
    expect((await fetchOnce(c, ids.orders, 2, 3)).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    expect((await fetchOnce(c, ids.orders, 0, 0)).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);

    // Configs in force: max.message.bytes on orders, LogAppendTime on audit.
    const big = await buildRecordBatch({ records: [{ key: null, value: bytes(25_000), timestamp: Date.now() }] });
    expect((await produce(c, 'orders', 2, big, -1)).errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    const stopAt = BigInt(Date.now()) - 60_000n;
    const stamped = await send('audit', 1, [rec()]);
    expect(stamped.logAppendTimeMs).toBeGreaterThan(stopAt);

    // Idempotent producer state: retries of the last and of an older batch
    // (within the five Kafka remembers) get their original offsets; nothing is appended.
    const end1 = before.get('orders-1')!.highWatermark;
    for (const i of [producerCountBefore - 1, 1]) {
      const retry = await produce(c, 'orders', 1, Buffer.from(idem[i]!.batch), -1);
      expect([retry.errorCode, Number(retry.baseOffset)], `retry of sequence ${idem[i]!.sequence}`).toEqual([ErrorCode.NONE, idem[i]!.baseOffset]);
    }
    expect((await listOffset(c, 'orders', 1, -1n)).offset).toBe(BigInt(end1));
    // The next sequence appends; a gap is refused.
    const next = await send('orders', 1, [rec()], { producerId, baseSequence: producerCountBefore * 3 });
    expect(next.baseOffset).toBe(end1);
    const gap = await buildRecordBatch({ records: [rec()], producerId, producerEpoch: 0, baseSequence: 100 });
    expect((await produce(c, 'orders', 1, gap, -1)).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    // Producer ids are not handed out again.
    expect((await initProducerId(c)).producerId).not.toBe(producerId);
    c.close();
    expect(await broker.stop()).toBe(0);
    broker = undefined;

    // The configs themselves, as the broker loads them (in process, same directory).
    const inProcess = await startBroker({ dataDir });
    try {
      expect(inProcess.cluster.topic('orders')).toMatchObject({ id: ids.orders, configs: ordersConfigs });
      expect(inProcess.cluster.topic('audit')).toMatchObject({ id: ids.audit, configs: auditConfigs });
      expect(inProcess.cluster.topic('audit')!.partitions.length).toBe(2);
    } finally {
      await inProcess.close();
    }
  });
});

/**
 * A FileSystem in front of a MemoryFileSystem that can be cut off: after
 * `fence()` every call fails, so a broker left running after a simulated power
 * loss (MemoryFileSystem.crash()) cannot write into the "rebooted" disk.
 * (crash() already kills the handles it opened; this stops new ones.)
 */
class FencedFileSystem implements FileSystem {
  readonly kind = 'memory' as const;
  private fenced = false;
  constructor(private readonly inner: FileSystem) {}
  fence(): void {
    this.fenced = true;
  }
  private async gate<T>(fn: () => Promise<T>): Promise<T> {
    if (this.fenced) throw Object.assign(new Error('EIO: the machine is down'), { code: 'EIO' });
    return fn();
  }
  open(path: string, mode: OpenMode): Promise<FileHandle> {
    return this.gate(() => this.inner.open(path, mode));
  }
  readFile(path: string): Promise<Buffer> {
    return this.gate(() => this.inner.readFile(path));
  }
  writeFile(path: string, data: Buffer): Promise<void> {
    return this.gate(() => this.inner.writeFile(path, data));
  }
  rename(from: string, to: string): Promise<void> {
    return this.gate(() => this.inner.rename(from, to));
  }
  unlink(path: string): Promise<void> {
    return this.gate(() => this.inner.unlink(path));
  }
  mkdir(path: string): Promise<void> {
    return this.gate(() => this.inner.mkdir(path));
  }
  rmrf(path: string): Promise<void> {
    return this.gate(() => this.inner.rmrf(path));
  }
  readdir(path: string): Promise<string[]> {
    return this.gate(() => this.inner.readdir(path));
  }
  stat(path: string): Promise<FileStat> {
    return this.gate(() => this.inner.stat(path));
  }
  exists(path: string): Promise<boolean> {
    return this.gate(() => this.inner.exists(path));
  }
  syncDir(path: string): Promise<void> {
    return this.gate(() => this.inner.syncDir(path));
  }
  lock(path: string): Promise<FileLock | null> {
    return this.gate(() => this.inner.lock(path));
  }
}

/** A broker on a MemoryFileSystem that a test can "power off". */
class MemoryMachine {
  readonly disk = new MemoryFileSystem();
  broker: RunningBroker | undefined;
  private fs: FencedFileSystem | undefined;
  constructor(private readonly config: Record<string, string>) {}

  async boot(): Promise<RunningBroker> {
    this.fs = new FencedFileSystem(this.disk);
    this.broker = await startBroker({ fs: this.fs, dataDir: '/data', config: this.config });
    return this.broker;
  }

  /** Power loss: unsynced bytes and names are gone; the old broker can touch nothing. */
  async crash(): Promise<void> {
    this.fs!.fence();
    this.disk.crash();
    const old = this.broker!;
    this.broker = undefined;
    await Promise.race([old.close().catch(() => undefined), sleep(5_000)]);
  }

  async shutdown(): Promise<void> {
    await this.broker?.close();
    this.broker = undefined;
  }
}

describe('in process, MemoryFileSystem.crash()', () => {
  const machines: MemoryMachine[] = [];
  afterEach(async () => {
    for (const m of machines.splice(0)) await m.shutdown().catch(() => undefined);
  });

  it('interval mode: what was never fsynced may be lost, and what is left is a consistent prefix', async () => {
    const m = new MemoryMachine({});
    machines.push(m);
    let b = await m.boot();
    let c = await Client.connect(b.host, b.port);
    // flush.messages=10: every tenth message is fsynced before it is answered; nothing else is.
    const flushEvery10 = await createTopic(c, 'every10', 2, { 'flush.messages': '10', 'flush.ms': '3600000' });
    const never = await createTopic(c, 'never', 1, { 'flush.ms': '3600000' });
    expect([flushEvery10.errorCode, never.errorCode]).toEqual([0, 0]);
    const sent = new Map<string, Buffer[]>();
    for (const [topic, partition, acks] of [['every10', 0, 1], ['every10', 1, -1], ['never', 0, -1]] as const) {
      const batches: Buffer[] = [];
      for (let i = 0; i < 25; i++) {
        const batch = await buildRecordBatch({ records: [{ key: Buffer.from(`${topic}-${partition}-${i}`), value: Buffer.alloc(100, i), timestamp: Date.now() }] });
        batches.push(batch);
        const a = await produce(c, topic, partition, Buffer.from(batch), acks);
        expect([a.errorCode, Number(a.baseOffset)]).toEqual([ErrorCode.NONE, i]);
      }
      sent.set(`${topic}-${partition}`, batches);
    }
    c.close();

    await m.crash();
    b = await m.boot();
    c = await Client.connect(b.host, b.port);
    // The topics were made durable when they were created.
    const md = await metadata(c);
    expect(new Map(md.topics.map((t) => [t.name, t.topicId]))).toEqual(new Map([['every10', flushEvery10.topicId], ['never', never.topicId]]));
    const left = new Map<string, number>();
    for (const [topic, topicId, partition] of [['every10', flushEvery10.topicId, 0], ['every10', flushEvery10.topicId, 1], ['never', never.topicId, 0]] as const) {
      const log = await readServedLog(c, topicId, partition, `${topic}-${partition}`);
      const batches = sent.get(`${topic}-${partition}`)!;
      // a prefix of what was produced, byte for byte (but the stamped base offset and leader epoch)
      log.raw.forEach((r, i) => {
        const same = r.subarray(8, 12).equals(batches[i]!.subarray(8, 12)) && r.subarray(16).equals(batches[i]!.subarray(16));
        expect(same, `${topic}-${partition} batch ${i}`).toBe(true);
      });
      left.set(`${topic}-${partition}`, log.highWatermark);
      // and the log goes on from where it ends
      const more = await produce(c, topic, partition, await buildRecordBatch({ records: [{ value: Buffer.from('after'), timestamp: Date.now() }] }), -1);
      expect([more.errorCode, Number(more.baseOffset)]).toEqual([ErrorCode.NONE, log.highWatermark]);
    }
    // Offsets 0-19 were fsynced by flush.messages, 20-24 never were; with no flush at all everything went.
    expect(Object.fromEntries(left)).toEqual({ 'every10-0': 20, 'every10-1': 20, 'never-0': 0 });
    c.close();
  });

  it('group-commit mode: crash after crash, nothing acknowledged with acks=-1 is lost', { timeout: 60_000 }, async () => {
    const seed = seedFrom('MEMORY_CRASH_SEED');
    const random = prng(seed);
    const m = new MemoryMachine({ 'log.flush.mode': 'group-commit' });
    machines.push(m);
    // A disk where an fsync takes a moment, so crashes find syncs in flight.
    m.disk.syncDelay = () => sleep(1);
    let b = await m.boot();
    let c = await Client.connect(b.host, b.port);
    const created = await createTopic(c, 'gc', 2, { 'segment.ms': '100', 'index.interval.bytes': '256' });
    expect(created.errorCode).toBe(ErrorCode.NONE);
    // acks=-1 answers promise durability; acks=1 answers do not.
    const ledger = new Ledger('gc', created.topicId, 2, random, (acks) => acks === -1);
    for (const [idempotent, acks, compression] of [[false, -1, Compression.none], [false, -1, Compression.snappy], [true, -1, Compression.none], [true, 1, Compression.lz4], [false, 1, Compression.none]] as const) {
      ledger.addProducer({ idempotent, acks, compression, lanes: 2, producerId: idempotent ? (await initProducerId(c)).producerId : -1n });
    }
    c.close();
    const ROUNDS = 12;
    let kept = 0;
    let retried = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const where = `memory crash seed ${seed} (rerun with MEMORY_CRASH_SEED=${seed}), round ${round}`;
      const crashAfterMs = ledger.int(0, 40);
      const broker = b;
      await ledger.produceUntil(
        () => Client.connect(broker.host, broker.port),
        async () => {
          await sleep(crashAfterMs);
          await m.crash();
        },
      );
      b = await m.boot();
      c = await Client.connect(b.host, b.port);
      const check = await ledger.verify(c, `${where}, after the crash:`);
      kept += check.survivedUnacked;
      retried += await ledger.afterRestart(c, check.logEnd, `${where}, retries:`);
      c.close();
    }
    c = await Client.connect(b.host, b.port);
    await ledger.verify(c, `memory crash seed ${seed}, at the end:`);
    c.close();
    const all = [...ledger.sent.values()];
    const promised = all.filter((s) => s.promised).length;
    expect(promised).toBeGreaterThan(0);
    console.log(
      `memory crash (seed ${seed}): ${ROUNDS} crashes, ${all.length} batches, ${promised} acknowledged with acks=-1 and kept, ` +
        `${all.filter((s) => s.state === 'lost').length} lost (unanswered or acks=1), ${kept} unanswered but kept, ${retried} idempotent retries`,
    );
  });
});
