// bench/pipelining-attack: the full-size attack of issue 7. 200 connections
// each send 20,000 ApiVersions requests in one burst and never read a response,
// against the real CLI in a child process, while a kafkajs producer sends one
// record at a time (acks=1). Prints the broker's RSS before, at peak during and
// after the attack, and the producer's latency during the attack next to its
// latency measured just before (the floor, same run). Nothing is asserted; the
// regression test (compat-tests/abuse/pipelining.test.ts) runs a smaller attack.
//
// Run: npx tsx bench/pipelining-attack.ts [--connections 200] [--requests 20000] [--seconds 15]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ChildBroker } from '../test/durability/helpers.js';
import { LatencyProbe, RssSampler, rssOf, startAttack } from '../compat-tests/support/pipelining-attack.js';
import { percentile, printTable, fmt } from './stats.js';

const { values: argv } = parseArgs({
  options: { connections: { type: 'string' }, requests: { type: 'string' }, seconds: { type: 'string' } },
});
const CONNECTIONS = Number(argv.connections ?? 200);
const REQUESTS = Number(argv.requests ?? 20_000);
const SECONDS = Number(argv.seconds ?? 15);
const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dir = await mkdtemp(join(tmpdir(), 'kafkalite-attack-bench-'));
const broker = await ChildBroker.start({ dataDir: dir, startTimeoutMs: 120_000 });
try {
  const pid = broker.proc.pid!;
  const probe = await LatencyProbe.open(`${broker.host}:${broker.port}`, `probe-${Date.now()}`);
  await probe.send(200);
  const floor = await probe.send(500);
  const before = rssOf(pid);

  const sampler = new RssSampler(pid);
  const attack = await startAttack(broker.host, broker.port, CONNECTIONS, REQUESTS);
  probe.start();
  await sleep(SECONDS * 1000);
  const during = await probe.stop();
  attack.close();
  const peak = sampler.stop();

  // After: the producer keeps going for as long as the attack lasted; RSS at its end.
  const afterLat = await probe.send(Math.max(100, during.length));
  const after = rssOf(pid);
  await probe.close();

  const row = (name: string, l: number[]) => [name, String(l.length), fmt(percentile(l, 50)), fmt(percentile(l, 99)), fmt(Math.max(...l)), `${fmt(percentile(l, 99) / percentile(floor, 99))}x`];
  printTable(
    `bench/pipelining-attack: ${CONNECTIONS} connections x ${REQUESTS} ApiVersions never read (${(attack.bytes / 1e6).toFixed(0)} MB sent), ${SECONDS} s; kafkajs producer, one record per send, acks=1`,
    ['phase', 'sends', 'p50 ms', 'p99 ms', 'max ms', 'p99 / floor p99'],
    [row('before (floor)', floor), row('during attack', during), row('after attack', afterLat)],
  );
  printTable('broker RSS', ['before MiB', 'peak during MiB', `after MiB`, 'peak / before'], [
    [fmt(before / MB), fmt(Math.max(peak, sampler.peak) / MB), fmt(after / MB), `${fmt(sampler.peak / before)}x`],
  ]);
} finally {
  await broker.stop();
  await rm(dir, { recursive: true, force: true });
}
