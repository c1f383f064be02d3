// Issue 7, item 2: a client that pipelines requests and never reads the answers.
// 50 connections each send 5,000 ApiVersions requests in one burst and read
// nothing, against the real CLI in a child process, while a kafkajs producer
// keeps sending. The broker must keep serving the producer, its memory must stay
// bounded, and it must come back down once the attackers are gone. Only loose
// bounds are asserted (the machine is shared); bench/pipelining-attack.ts runs
// the full-size attack and prints the figures.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChildBroker } from '../../test/durability/helpers.js';
import { LatencyProbe, RssSampler, rssOf, startAttack } from '../support/pipelining-attack.js';
import { uniqueTopic } from '../support/broker.js';

const MB = 1024 * 1024;
/** Before issue 7 this attack grew the broker by hundreds of MB; bounded, it stays far below. */
const PEAK_GROWTH_CEILING = 120 * MB;
const AFTER_GROWTH_CEILING = 80 * MB;

let dir: string;
let broker: ChildBroker;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kafkalite-attack-'));
  broker = await ChildBroker.start({ dataDir: dir, startTimeoutMs: 80_000 });
}, 90_000);
afterAll(async () => {
  await broker?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('issue 7: pipelined requests that are never read', () => {
  it('keep the broker serving a kafkajs producer, with bounded memory that comes back down', async () => {
    const pid = broker.proc.pid!;
    const probe = await LatencyProbe.open(`${broker.host}:${broker.port}`, uniqueTopic('probe'));
    await probe.send(50);
    const before = rssOf(pid);
    const sampler = new RssSampler(pid);

    const attack = await startAttack(broker.host, broker.port, 50, 5_000);
    // The producer is served while the attackers hold their connections open.
    const during = await probe.send(100);
    expect(during).toHaveLength(100);
    attack.close();
    sampler.stop();

    // Memory comes back below the ceiling once the attackers are gone (the broker frees as it notices the closes).
    const deadline = Date.now() + 20_000;
    let after = rssOf(pid);
    while (after - before >= AFTER_GROWTH_CEILING && Date.now() < deadline) {
      await probe.send(10);
      after = rssOf(pid);
    }
    await probe.close();
    console.log(
      `pipelining attack (50 x 5,000 ApiVersions, ${(attack.bytes / MB).toFixed(1)} MiB): broker RSS before ${(before / MB).toFixed(0)} MiB, ` +
        `peak ${(sampler.peak / MB).toFixed(0)} MiB, after ${(after / MB).toFixed(0)} MiB`,
    );
    expect(sampler.peak - before).toBeLessThan(PEAK_GROWTH_CEILING);
    expect(after - before).toBeLessThan(AFTER_GROWTH_CEILING);
  }, 90_000);
});
