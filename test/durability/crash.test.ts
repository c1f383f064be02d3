// The crash test of issue 3: the real CLI in a child process, in group-commit
// mode on a real data directory, under concurrent acks=-1 producers (plain and
// idempotent, uncompressed and gzip), killed with SIGKILL at seeded random
// moments, restarted on the same directory, round after round. After every
// restart the whole log is read back and checked:
//   - every batch served passes its CRC (walkBatches), whole, never torn;
//   - offsets are contiguous from the log start (0) to the high watermark,
//     which is also what ListOffsets says;
//   - every acknowledged batch is there exactly once, at the offset its answer
//     named, byte for byte as sent (only baseOffset and leader epoch stamped);
//   - a batch that was in flight at the kill may be there or not, but if it is
//     it is whole and intact; anything served once is served again, unchanged,
//     after every later crash;
//   - the idempotent producers retry their unanswered batches after the
//     restart with the same sequence numbers: a batch that survived is answered
//     with its original offset, a lost one is appended, never both;
//   - producer ids are never handed out twice, crashes included.
// Some rounds also kill the broker while it is still starting (loading and
// recovering the log). The seed is printed; rerun with CRASH_SEED=<seed>
// (CRASH_ROUNDS=<n> for more rounds).
//
// Note: SIGKILL stops the process but not the kernel, so bytes the broker
// wrote but never fsynced still reach the disk. What this test exercises is
// the unclean-start path (no clean-shutdown marker, recovery from the
// checkpoint, torn tails left by a kill in the middle of a write, a roll, an
// index or snapshot write) end to end. Losing unsynced bytes is what
// restart.test.ts does in process with MemoryFileSystem.crash().
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RawClient } from '../support/raw-client.js';
import { Compression } from '../../protocol/compression.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ChildBroker, cliCommand, createTopic, initProducerId, metadata, prng, seedFrom, sleep } from './helpers.js';
import { Ledger } from './ledger.js';

const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 20);
const SEED = seedFrom('CRASH_SEED');
const TOPIC = 'crash';
const PARTITIONS = 3;
// Small segments by time and by index size, sparse-index entries every 512
// bytes: kills land in rolls, index writes and producer snapshots too.
const TOPIC_CONFIGS = { 'segment.ms': '120', 'segment.index.bytes': '4096', 'index.interval.bytes': '512' };
const BROKER_SETS = { 'log.flush.mode': 'group-commit' };

interface RoundStats {
  round: number;
  startupMs: number;
  recoveryKill: string;
  verifyMs: number;
  killAfterMs: number;
  acked: number;
  inflightAtKill: number;
  survivedUnacked: number;
  retried: number;
  logEnd: string;
}

describe('crash test: SIGKILL in group-commit mode', () => {
  const random = prng(SEED);
  // group-commit: an acks=-1 answer promises the batch survives
  const ledger = new Ledger(TOPIC, '', PARTITIONS, random, (acks) => acks === -1);
  const seenProducerIds = new Set<bigint>();
  const stats: RoundStats[] = [];
  let dataDir = '';
  let broker: ChildBroker | undefined;
  let round = -1;
  let failed = true;

  afterAll(async () => {
    await broker?.kill();
    if (dataDir !== '' && !failed) await rm(dataDir, { recursive: true, force: true });
    else if (dataDir !== '') console.log(`crash test: data directory kept for inspection: ${dataDir}`);
  });

  function context(): string {
    return `crash test seed ${SEED} (rerun with CRASH_SEED=${SEED}), round ${round}, data dir ${dataDir}`;
  }

  async function checkNewProducerId(c: RawClient): Promise<bigint> {
    const { producerId } = await initProducerId(c);
    if (seenProducerIds.has(producerId)) throw new Error(`${context()}: producer id ${producerId} handed out twice`);
    seenProducerIds.add(producerId);
    return producerId;
  }

  async function runRound(final: boolean, lastStartupMs: number): Promise<RoundStats> {
    // Some rounds: a kill while the broker is still starting, loading and
    // recovering the logs: at a random moment shortly after the first
    // partition reports it is loaded (debug log), or at a random time.
    let recoveryKill = '';
    if (round > 0 && round % 4 === 2) {
      const early = ChildBroker.spawn({ dataDir, set: BROKER_SETS, logLevel: 'debug' });
      broker = early;
      const afterLoadMs = random() * 3;
      let sawLoad = false;
      const atLoad = new Promise<void>((resolve) =>
        early.onLine((l) => {
          if (l.msg !== 'log loaded' || sawLoad) return;
          sawLoad = true;
          setTimeout(resolve, afterLoadMs);
        }),
      );
      await Promise.race([atLoad, sleep(lastStartupMs * 1.5), early.exited]);
      const ms = Math.round(performance.now() - early.spawnedAt);
      await early.kill();
      recoveryKill = `${ms} ms${sawLoad ? `, ${afterLoadMs.toFixed(1)} ms after a partition loaded` : ''}`;
    }

    const b = ChildBroker.spawn({ dataDir, set: BROKER_SETS });
    broker = b;
    await b.ready();
    const admin = await b.connect();
    if (round === 0) {
      const created = await createTopic(admin, TOPIC, PARTITIONS, TOPIC_CONFIGS);
      expect(created.errorCode, created.errorMessage ?? '').toBe(ErrorCode.NONE);
      ledger.topicId = created.topicId;
      for (let i = 0; i < 6; i++) {
        const idempotent = i >= 3;
        ledger.addProducer({
          idempotent,
          compression: i === 2 || i === 5 ? Compression.gzip : Compression.none,
          acks: -1,
          lanes: idempotent ? 3 : 2,
          producerId: idempotent ? await checkNewProducerId(admin) : -1n,
        });
      }
    } else {
      // The topic and its id survive every crash.
      const md = await metadata(admin, [TOPIC]);
      const t = md.topics[0]!;
      if (t.errorCode !== ErrorCode.NONE || t.topicId !== ledger.topicId || t.partitions.length !== PARTITIONS) {
        throw new Error(`${context()}: topic after restart: error ${t.errorCode}, id ${t.topicId} (was ${ledger.topicId}), ${t.partitions.length} partitions`);
      }
      if (b.loadedClean !== false) throw new Error(`${context()}: the broker took a SIGKILL for a clean shutdown`);
    }

    const v0 = performance.now();
    const check = await ledger.verify(admin, `${context()}, after restart:`);
    const verifyMs = Math.round(performance.now() - v0);
    // The retried batches are checked at the offsets answered by the next
    // round's read (and by the last round's, below).
    const retried = await ledger.afterRestart(admin, check.logEnd, `${context()}, idempotent retries:`);
    await checkNewProducerId(admin);
    const base = { round, startupMs: Math.round(b.startupMs), recoveryKill, verifyMs, survivedUnacked: check.survivedUnacked, retried, logEnd: check.logEnd.join('/') };

    if (final) {
      // Last: the retries are there exactly once; a clean stop keeps it all too, and is seen as clean.
      await ledger.verify(admin, `${context()}, after the idempotent retries:`);
      admin.close();
      expect(await b.stop()).toBe(0);
      broker = await ChildBroker.start({ dataDir, set: BROKER_SETS });
      expect(broker.loadedClean).toBe(true);
      const again = await broker.connect();
      await ledger.verify(again, `${context()}, after a clean restart:`);
      again.close();
      expect(await broker.stop()).toBe(0);
      return { ...base, killAfterMs: 0, acked: 0, inflightAtKill: 0 };
    }
    admin.close();

    const roll = random();
    const killAfterMs = roll < 0.15 ? ledger.int(0, 15) : roll < 0.85 ? ledger.int(15, 250) : ledger.int(250, 500);
    const kill = async (): Promise<void> => {
      await sleep(killAfterMs);
      if (b.proc.exitCode !== null || b.proc.signalCode !== null) throw new Error('the broker died on its own');
      await b.kill();
    };
    const batches = await ledger.produceUntil(() => b.connect(), kill);
    return {
      ...base,
      killAfterMs,
      acked: batches.filter((s) => s.state === 'acked').length,
      inflightAtKill: batches.filter((s) => s.state === 'inflight').length,
    };
  }

  it(`keeps every acknowledged record through ${ROUNDS} SIGKILLs`, { timeout: 240_000 }, async () => {
    const cmd = cliCommand();
    console.log(`crash test: seed ${SEED}, ${ROUNDS} rounds, broker via ${cmd.runner} (${cmd.why})`);
    dataDir = await mkdtemp(join(tmpdir(), 'kafkalite-crash-'));
    const t0 = performance.now();
    for (round = 0; round <= ROUNDS; round++) {
      try {
        stats.push(await runRound(round === ROUNDS, stats[stats.length - 1]?.startupMs ?? 500));
      } catch (e) {
        const message = (e as Error).message;
        throw new Error(`${message.includes('CRASH_SEED=') ? message : `${context()}: ${message}`}\n${broker?.output() ?? ''}`, { cause: e });
      }
    }
    const total = performance.now() - t0;
    const sent = [...ledger.sent.values()];
    const startup = stats.map((s) => s.startupMs).sort((a, b) => a - b);
    console.log(
      `crash test: ${ROUNDS} SIGKILL rounds + ${stats.filter((s) => s.recoveryKill !== '').length} kills during start-up in ${(total / 1000).toFixed(1)} s; ` +
        `${sent.length} batches sent, ${sent.filter((s) => s.state === 'acked').length} acknowledged, ${sent.filter((s) => s.seenAt !== undefined && s.ackedOffset === undefined).length} unacknowledged but kept, ` +
        `log ends ${stats[stats.length - 1]!.logEnd}; start-up ${startup[0]}-${startup[startup.length - 1]} ms (median ${startup[startup.length >> 1]})`,
    );
    console.table(stats);
    failed = false;
  });
});
