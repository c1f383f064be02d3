// Storage faults seen from a client: a broker on a MemoryFileSystem whose next
// write or fsync fails (storage/faults.test.ts covers the log itself; this is
// what goes over the wire). A failed write or fsync answers the affected
// Produce partitions with KAFKA_STORAGE_ERROR (56), and only those; the broker
// keeps serving, the partition comes back by itself, offsets stay contiguous
// and nothing torn is ever fetched.
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { MemoryFileSystem } from '../../storage/fs-memory.js';
import { RawClient } from '../support/raw-client.js';
import { ProduceApi } from '../../protocol/messages/00-produce.js';
import { CreatePartitionsApi } from '../../protocol/messages/37-create-partitions.js';
import { buildRecordBatchSync } from '../../protocol/record-batch.js';
import { Compression } from '../../protocol/compression.js';
import { ErrorCode } from '../../protocol/errors.js';
import { createTopic, initProducerId, metadata, produce, prng, readServedLog, seedFrom, sleep, PRODUCE_VERSION, type PartitionAnswer } from './helpers.js';
import { Ledger } from './ledger.js';

const STORAGE_ERROR = ErrorCode.KAFKA_STORAGE_ERROR;

/** The segment files of one partition. */
const segmentsOf = (topic: string, partition: number): RegExp => new RegExp(`/${topic}-${partition}/\\d{20}\\.log$`);

function batch(tag: string, count = 2, producer?: { producerId: bigint; baseSequence: number }): Buffer {
  return buildRecordBatchSync({
    records: Array.from({ length: count }, (_, i) => ({ key: Buffer.from(`${tag}/${i}`), value: Buffer.alloc(64, i), timestamp: Date.now() })),
    producerId: producer?.producerId ?? -1n,
    producerEpoch: producer ? 0 : -1,
    baseSequence: producer?.baseSequence ?? -1,
  });
}

/** One Produce request for several partitions of a topic. */
async function produceMany(c: RawClient, topic: string, parts: { partition: number; records: Buffer }[], acks: number): Promise<PartitionAnswer[]> {
  const res = await c.request(ProduceApi, PRODUCE_VERSION, {
    transactionalId: null,
    acks,
    timeoutMs: 10_000,
    topicData: [{ name: topic, partitionData: parts.map((p) => ({ index: p.partition, records: p.records })) }],
  });
  const byIndex = new Map(res.responses[0]!.partitionResponses.map((r) => [r.index, r]));
  return parts.map((p) => byIndex.get(p.partition)!);
}

/** Produces until the answer is not KAFKA_STORAGE_ERROR (the partition reloads after a failed write), as a client retries. */
async function produceRetrying(c: RawClient, topic: string, partition: number, records: Buffer, acks: number): Promise<{ answer: PartitionAnswer; attempts: number }> {
  for (let attempts = 1; ; attempts++) {
    const answer = await produce(c, topic, partition, Buffer.from(records), acks);
    if (answer.errorCode !== STORAGE_ERROR || attempts >= 200) return { answer, attempts };
    await sleep(5);
  }
}

/** Keys of every record served, batch by batch. */
async function servedKeys(c: RawClient, topicId: string, partition: number): Promise<string[][]> {
  const log = await readServedLog(c, topicId, partition, `partition ${partition}`);
  return log.batches.map((b) => b.records.map((r) => r.key!.toString()));
}

describe('storage faults through the broker', () => {
  const brokers: RunningBroker[] = [];
  const clients: RawClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const b of brokers.splice(0)) await b.close().catch(() => undefined);
  });

  async function boot(config: Record<string, string> = {}, fs = new MemoryFileSystem()): Promise<{ fs: MemoryFileSystem; broker: RunningBroker; c: RawClient }> {
    // DURABILITY_LOG=warn (or another level) shows what the broker logs about the faults.
    const level = process.env.DURABILITY_LOG;
    const broker = await startBroker({ fs, dataDir: '/data', config, ...(level ? { logger: pino({ level }) } : {}) });
    brokers.push(broker);
    const c = await RawClient.connect(broker.host, broker.port);
    clients.push(c);
    return { fs, broker, c };
  }

  it.each([
    ['interval', 1],
    ['interval', -1],
    ['group-commit', -1],
  ] as const)('a failed (torn) segment write in %s mode, acks=%i: that batch gets KAFKA_STORAGE_ERROR, the other partition does not, and the log comes back', async (mode, acks) => {
    const { fs, c } = await boot({ 'log.flush.mode': mode });
    const { topicId } = await createTopic(c, 'w', 2);
    for (let i = 0; i < 3; i++) expect(Number((await produce(c, 'w', 0, batch(`ok${i}`), acks)).baseOffset)).toBe(i * 2);

    // 30 bytes of the batch reach the file, then the write fails.
    fs.failNextWrite({ path: segmentsOf('w', 0), partialBytes: 30 });
    const [p0, p1] = await produceMany(c, 'w', [{ partition: 0, records: batch('torn') }, { partition: 1, records: batch('other') }], acks);
    expect([p0!.errorCode, p1!.errorCode]).toEqual([STORAGE_ERROR, ErrorCode.NONE]);
    expect(Number(p1!.baseOffset)).toBe(0);

    // The client retries; once the partition has reloaded the batch lands right after the good ones.
    const { answer } = await produceRetrying(c, 'w', 0, batch('torn'), acks);
    expect([answer.errorCode, Number(answer.baseOffset)]).toEqual([ErrorCode.NONE, 6]);
    // Nothing torn is served; the offsets are contiguous.
    expect(await servedKeys(c, topicId, 0)).toEqual([['ok0/0', 'ok0/1'], ['ok1/0', 'ok1/1'], ['ok2/0', 'ok2/1'], ['torn/0', 'torn/1']]);
    expect(await servedKeys(c, topicId, 1)).toEqual([['other/0', 'other/1']]);

    // The broker serves as before: the same partition, other clients, new topics.
    expect((await produce(c, 'w', 0, batch('after'), acks)).errorCode).toBe(ErrorCode.NONE);
    const c2 = await RawClient.connect(c.socket.remoteAddress!, c.socket.remotePort!);
    clients.push(c2);
    expect((await createTopic(c2, 'fresh', 1)).errorCode).toBe(ErrorCode.NONE);
    expect((await produce(c2, 'fresh', 0, batch('fresh'), acks)).errorCode).toBe(ErrorCode.NONE);
  });

  it('a failed fsync in group-commit mode: acks=-1 gets KAFKA_STORAGE_ERROR, acks=1 never waits for an fsync, the next fsync succeeds', async () => {
    const { fs, c } = await boot({ 'log.flush.mode': 'group-commit' });
    const { topicId } = await createTopic(c, 'g', 1);
    const a = await produce(c, 'g', 0, batch('a'), -1);
    expect([a.errorCode, Number(a.baseOffset)]).toEqual([ErrorCode.NONE, 0]);

    fs.failNextSync({ path: segmentsOf('g', 0) });
    expect((await produce(c, 'g', 0, batch('b'), -1)).errorCode).toBe(STORAGE_ERROR);
    fs.failNextSync({ path: segmentsOf('g', 0) });
    const b1 = await produce(c, 'g', 0, batch('c'), 1);
    expect(b1.errorCode).toBe(ErrorCode.NONE);
    const d = await produce(c, 'g', 0, batch('d'), -1);
    expect(d.errorCode).toBe(ErrorCode.NONE);

    // The log is whole and contiguous; what was answered NONE is where its answer said.
    // ('b' was written before its fsync failed, so the next fsync made it durable:
    // an error answer is no proof of absence, in Kafka either.)
    const keys = await servedKeys(c, topicId, 0);
    expect(keys[0]).toEqual(['a/0', 'a/1']);
    const at = (tag: string) => 2 * keys.findIndex((k) => k[0] === `${tag}/0`);
    expect(at('c')).toBe(Number(b1.baseOffset));
    expect(at('d')).toBe(Number(d.baseOffset));
    expect(keys.filter((k) => k[0] === 'b/0').length).toBeLessThanOrEqual(1);
  });

  it('interval mode with flush.messages=1: acks=1 waits for the fsync, so a failed one is KAFKA_STORAGE_ERROR', async () => {
    const { fs, c } = await boot();
    const { topicId } = await createTopic(c, 'f', 1, { 'flush.messages': '1' });
    expect((await produce(c, 'f', 0, batch('a'), 1)).errorCode).toBe(ErrorCode.NONE);
    fs.failNextSync({ path: segmentsOf('f', 0) });
    expect((await produce(c, 'f', 0, batch('b'), 1)).errorCode).toBe(STORAGE_ERROR);
    const next = await produce(c, 'f', 0, batch('c'), 1);
    expect(next.errorCode).toBe(ErrorCode.NONE);
    expect(fs.stats.syncs).toBeGreaterThan(0);
    const keys = await servedKeys(c, topicId, 0);
    expect(keys[keys.length - 1]).toEqual(['c/0', 'c/1']);
    expect(2 * (keys.length - 1)).toBe(Number(next.baseOffset));
  });

  it('an idempotent producer that retries after KAFKA_STORAGE_ERROR has each batch in the log exactly once', async () => {
    const { fs, broker, c } = await boot({ 'log.flush.mode': 'group-commit' });
    const { topicId } = await createTopic(c, 'i', 1);
    const { producerId } = await initProducerId(c);
    const seq = (n: number) => batch(`s${n}`, 2, { producerId, baseSequence: n * 2 });
    expect((await produce(c, 'i', 0, seq(0), -1)).errorCode).toBe(ErrorCode.NONE);

    // A failed fsync: the batch stays in the log; the retry is recognised as a duplicate.
    fs.failNextSync({ path: segmentsOf('i', 0) });
    expect((await produce(c, 'i', 0, seq(1), -1)).errorCode).toBe(STORAGE_ERROR);
    const retry1 = await produce(c, 'i', 0, seq(1), -1);
    expect([retry1.errorCode, Number(retry1.baseOffset)]).toEqual([ErrorCode.NONE, 2]);

    // A failed write: the batch is gone after the reload; the retry appends it (no gap error).
    fs.failNextWrite({ path: segmentsOf('i', 0) });
    expect((await produce(c, 'i', 0, seq(2), -1)).errorCode).toBe(STORAGE_ERROR);
    const retry2 = await produceRetrying(c, 'i', 0, seq(2), -1);
    expect([retry2.answer.errorCode, Number(retry2.answer.baseOffset)]).toEqual([ErrorCode.NONE, 4]);
    expect((await produce(c, 'i', 0, seq(3), -1)).errorCode).toBe(ErrorCode.NONE);

    expect(await servedKeys(c, topicId, 0)).toEqual([0, 1, 2, 3].map((n) => [`s${n}/0`, `s${n}/1`]));
    // ...and so after a restart.
    c.close();
    await broker.close();
    const again = await boot({ 'log.flush.mode': 'group-commit' }, fs);
    expect(await servedKeys(again.c, topicId, 0)).toEqual([0, 1, 2, 3].map((n) => [`s${n}/0`, `s${n}/1`]));
  });

  it('a failed write while creating a topic or adding partitions leaves nothing half-made, and a retry succeeds', async () => {
    const { fs, broker } = await boot();
    let c = await RawClient.connect(broker.host, broker.port);
    clients.push(c);
    // A storage failure is an error code in the answer; the connection stays open.
    const attempt = async <T,>(call: (c: RawClient) => Promise<T>, code: (r: T) => number): Promise<void> => {
      expect(code(await call(c))).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    };
    const partitionsOf = async (name: string) => (await metadata(c, [name])).topics[0]!;

    for (const path of [/kafkalite-topics\.json/, /\/t-1\/partition\.metadata/]) {
      fs.failNextWrite({ path });
      await attempt((c) => createTopic(c, 't', 2), (r) => r.errorCode);
      expect((await partitionsOf('t')).errorCode, String(path)).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }
    const created = await createTopic(c, 't', 2);
    expect(created.errorCode).toBe(ErrorCode.NONE);

    fs.failNextWrite({ path: /\/t-2\/partition\.metadata/ });
    await attempt((c) => c.request(CreatePartitionsApi, 3, { topics: [{ name: 't', count: 3, assignments: null }], timeoutMs: 5000, validateOnly: false }), (r) => r.results[0]!.errorCode);
    expect((await partitionsOf('t')).partitions.length).toBe(2);
    const grown = await c.request(CreatePartitionsApi, 3, { topics: [{ name: 't', count: 3, assignments: null }], timeoutMs: 5000, validateOnly: false });
    expect(grown.results[0]!.errorCode).toBe(ErrorCode.NONE);
    for (let p = 0; p < 3; p++) expect((await produce(c, 't', p, batch(`t${p}`), -1)).errorCode).toBe(ErrorCode.NONE);

    // A restart finds the topic once, whole.
    c.close();
    await broker.close();
    const again = await boot({}, fs);
    const t = (await metadata(again.c)).topics.filter((x) => x.name === 't');
    expect(t.map((x) => [x.topicId, x.partitions.length])).toEqual([[created.topicId, 3]]);
    for (let p = 0; p < 3; p++) expect(await servedKeys(again.c, created.topicId, p)).toEqual([[`t${p}/0`, `t${p}/1`]]);
  });

  it('producers under a storm of failed writes and fsyncs: every answer is NONE or KAFKA_STORAGE_ERROR, and the log stays whole', { timeout: 30_000 }, async () => {
    const seed = seedFrom('FAULT_SEED');
    const random = prng(seed);
    const { fs, broker, c } = await boot({ 'log.flush.mode': 'group-commit' });
    fs.syncDelay = () => sleep(1);
    const created = await createTopic(c, 'storm', 3, { 'segment.ms': '50' });
    const ledger = new Ledger('storm', created.topicId, 3, random, () => true);
    ledger.tolerated.add(STORAGE_ERROR);
    for (const [acks, compression] of [[-1, Compression.none], [-1, Compression.gzip], [1, Compression.none], [-1, Compression.lz4]] as const) {
      ledger.addProducer({ idempotent: false, acks, compression, lanes: 2, producerId: -1n });
    }
    let faults = 0;
    await ledger.produceUntil(
      () => RawClient.connect(broker.host, broker.port),
      async () => {
        for (let i = 0; i < 40; i++) {
          await sleep(ledger.int(1, 12));
          const partition = ledger.int(0, 2);
          if (random() < 0.5) fs.failNextWrite({ path: segmentsOf('storm', partition), partialBytes: ledger.int(0, 200) });
          else fs.failNextSync({ path: segmentsOf('storm', partition) });
          faults++;
        }
        await sleep(20);
      },
    );
    fs.clearFaults();
    for (let p = 0; p < 3; p++) await broker.logs.log('storm', p)!.whenSettled();
    // A failed write takes a partition offline until it has reloaded from disk;
    // when a fault hits the reload itself the partition stays offline (as a Kafka
    // log directory does after an I/O error) and answers KAFKA_STORAGE_ERROR
    // until the broker restarts. The broker serves the others meanwhile.
    const offline = [0, 1, 2].filter((p) => broker.logs.log('storm', p)!.state !== 'online');
    for (const p of [0, 1, 2]) {
      const probe = ledger.buildBatch(ledger.producers[2]!, p);
      const answer = await produce(c, 'storm', p, probe.bytes, 1);
      ledger.answered(probe, answer);
      expect(answer.errorCode, `partition ${p}`).toBe(offline.includes(p) ? STORAGE_ERROR : ErrorCode.NONE);
    }
    // A restart brings every partition back: whole batches with good CRCs,
    // contiguous offsets, everything answered NONE at its offset, what got
    // KAFKA_STORAGE_ERROR there at most once and intact.
    c.close();
    await broker.close();
    const again = await boot({ 'log.flush.mode': 'group-commit' }, fs);
    await ledger.verify(again.c, `fault storm seed ${seed} (rerun with FAULT_SEED=${seed}), offline before the restart: [${offline}]:`);
    for (let p = 0; p < 3; p++) {
      const last = ledger.buildBatch(ledger.producers[0]!, p);
      ledger.answered(last, await produce(again.c, 'storm', p, last.bytes, -1));
      expect(last.state, `partition ${p} after the restart`).toBe('acked');
    }
    const all = [...ledger.sent.values()];
    const failed = all.filter((s) => s.failedWith === STORAGE_ERROR).length;
    const acked = all.filter((s) => s.state === 'acked').length;
    expect(failed).toBeGreaterThan(0);
    expect(acked).toBeGreaterThan(0);
    console.log(`fault storm (seed ${seed}): ${faults} faults injected, ${all.length} batches, ${acked} answered NONE, ${failed} answered KAFKA_STORAGE_ERROR, partitions offline until the restart: [${offline}]`);
  });
});
