// Issue 7, item 1: two brokers on one data directory. The second one, in
// another process or in this one, refuses to start and names the holder; the
// holder keeps serving; once it is gone (even by SIGKILL) the directory is free.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { DataDirLockedError } from '../../storage/dir-lock.js';
import { MemoryFileSystem } from '../../storage/fs-memory.js';
import { buildRecordBatchSync } from '../../protocol/record-batch.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ChildBroker, createTopic, produce } from './helpers.js';

const batch = (): Buffer => buildRecordBatchSync({ records: [{ key: null, value: Buffer.from('v'), timestamp: Date.now() }] });

describe('one broker per data directory (issue 7)', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });
  const tempDir = async (): Promise<string> => {
    const d = await mkdtemp(join(tmpdir(), 'kafkalite-lock-'));
    cleanup.push(() => rm(d, { recursive: true, force: true }));
    return d;
  };

  it('a second startBroker in the same process is refused while the first serves on', async () => {
    const dataDir = await tempDir();
    const first = await startBroker({ dataDir });
    cleanup.push(() => first.close());
    const err = await startBroker({ dataDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirLockedError);
    expect((err as Error).message).toMatch(new RegExp(`data directory .* is in use by pid ${process.pid} .*another broker in this process`));

    await first.cluster.createTopic(first.cluster.newTopic('t', 1));
    await first.logs.log('t', 0)!.append(batch()).written;

    await first.close();
    const second: RunningBroker = await startBroker({ dataDir });
    cleanup.push(() => second.close());
    expect(second.logs.log('t', 0)!.logEndOffset).toBe(1);
  });

  it('in memory, brokers sharing one MemoryFileSystem and directory are refused too', async () => {
    const fs = new MemoryFileSystem();
    const first = await startBroker({ fs, dataDir: '/data' });
    cleanup.push(() => first.close());
    await expect(startBroker({ fs, dataDir: '/data' })).rejects.toBeInstanceOf(DataDirLockedError);
    const elsewhere = await startBroker({ fs, dataDir: '/other' });
    await elsewhere.close();
  });

  it('across processes: the CLI holding the directory makes the next one exit naming its pid; after a SIGKILL the directory is free', async () => {
    const dataDir = await tempDir();
    const holder = await ChildBroker.start({ dataDir });
    cleanup.push(() => holder.kill());

    const err = await startBroker({ dataDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirLockedError);
    expect((err as DataDirLockedError).holder?.pid).toBe(holder.proc.pid);

    const second = ChildBroker.spawn({ dataDir });
    cleanup.push(() => second.kill());
    const { code } = await second.exited;
    expect(code).not.toBe(0);
    expect(second.output()).toContain(`is in use by pid ${holder.proc.pid}`);

    // the holder still serves
    const c = await holder.connect();
    cleanup.push(async () => c.close());
    expect((await createTopic(c, 'still-mine', 1)).errorCode).toBe(ErrorCode.NONE);
    expect((await produce(c, 'still-mine', 0, batch(), -1)).errorCode).toBe(ErrorCode.NONE);

    await holder.kill();
    const next = await startBroker({ dataDir });
    cleanup.push(() => next.close());
    expect(next.logs.log('still-mine', 0)!.logEndOffset).toBe(1);
  });
});
