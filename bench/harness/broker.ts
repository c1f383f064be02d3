// The broker under test as a CHILD process, so broker and load generator each
// get a core: `bin/kafkalite.ts start` on a fresh data dir with --set
// overrides and a --metrics-port, or (startEmbeddedChild) startBroker() in a
// small child that reports log events the rebalance benches measure with.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO } from './data-root.js';
import { scrapeMetrics, type MetricsSample } from './metrics.js';

const KAFKALITE_BIN = join(REPO, 'bin', 'kafkalite.ts');
const EMBEDDED_CHILD = fileURLToPath(new URL('./embedded-child.ts', import.meta.url));
const ECHO_CHILD = fileURLToPath(new URL('./echo-child.ts', import.meta.url));
const TSX_LOADER = (() => {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return 'tsx';
  }
})();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface BrokerChild {
  name: string;
  pid: number;
  port: number;
  dataDir: string;
  /** Where --cpu-prof writes this child's profiles, when profiled. */
  profileDir: string | null;
  /** The Prometheus endpoint's port (CLI children), for scrape(). */
  metricsPort: number | null;
  /** GET /metrics, parsed. */
  scrape(): Promise<MetricsSample>;
  /** SIGTERM, waits for the exit, removes the data dir (unless it was given). */
  stop(): Promise<void>;
}

export interface BrokerChildOptions {
  /** Names the data dir and the profile dir. */
  name: string;
  /** Where fresh data dirs go (dataRoot()). */
  root: string;
  /** key=value broker configs, each passed as --set. */
  sets?: readonly string[];
  /** Use this data dir (kept at stop) instead of a fresh one. */
  dataDir?: string;
  /** --cpu-prof into this dir. */
  profileDir?: string;
  /** Extra node flags (e.g. --trace-gc). */
  nodeFlags?: readonly string[];
  /** Milliseconds to wait for the listener (default 60 s). */
  startTimeoutMs?: number;
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      r(true);
    });
    s.once('error', () => r(false));
  });
}

function exitOf(proc: ChildProcess): { exited: Promise<number | null>; dead: () => boolean } {
  let dead = false;
  const exited = new Promise<number | null>((r) =>
    proc.once('exit', (code) => {
      dead = true;
      r(code);
    }),
  );
  return { exited, dead: () => dead };
}

async function terminate(proc: ChildProcess, exited: Promise<unknown>, dead: () => boolean, graceMs: number): Promise<void> {
  if (dead()) return;
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}

/** `bin/kafkalite.ts start` as a child, listening on 127.0.0.1 with a metrics endpoint. */
export async function startBrokerChild(opts: BrokerChildOptions): Promise<BrokerChild> {
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(join(opts.root, `kafkalite-bench-${opts.name}-`)));
  const port = await freePort();
  const metricsPort = await freePort();
  const profileDir = opts.profileDir ?? null;
  const args = [
    ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
    ...(opts.nodeFlags ?? []),
    '--import',
    TSX_LOADER,
    KAFKALITE_BIN,
    'start',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--metrics-port',
    String(metricsPort),
    '--data-dir',
    dataDir,
    '--log-level',
    'warn',
    ...(opts.sets ?? []).flatMap((s) => ['--set', s]),
  ];
  // cwd = the data dir, so whatever a node flag drops in the cwd (v8 logs...) goes away with it
  const proc = spawn(process.execPath, args, { cwd: ownDir ? dataDir : REPO, stdio: ['ignore', 'inherit', 'inherit'] });
  const { exited, dead } = exitOf(proc);
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  for (;;) {
    if (dead()) throw new Error(`broker child ${opts.name} exited during start`);
    if (await canConnect(port)) break;
    if (Date.now() > deadline) {
      await terminate(proc, exited, dead, 5_000);
      throw new Error(`broker child ${opts.name} did not listen within ${opts.startTimeoutMs ?? 60_000} ms`);
    }
    await sleep(50);
  }
  return {
    name: opts.name,
    pid: proc.pid!,
    port,
    dataDir,
    profileDir,
    metricsPort,
    scrape: () => scrapeMetrics(metricsPort),
    async stop() {
      await terminate(proc, exited, dead, 60_000);
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

// ---- the embedded child: startBroker() with a log sink ---------------------------------------

export interface RebalanceEvent {
  groupId: string;
  members: number;
  pausedMs: number;
  outcome: string;
}

export interface EmbeddedChild extends Omit<BrokerChild, 'stop'> {
  /** startBroker() until it returned, as the child measured it. */
  startBrokerMs: number;
  /** CPU time (user + system) of that startBroker(): steadier than wall time on a shared machine. */
  startBrokerCpuMs: number;
  /** Process start to listening (node + tsx + startBroker). */
  sinceProcessStartMs: number;
  /** The 'group coordinator state loaded from __consumer_offsets' log line: records read and ms. */
  replay: { records: number; ms: number } | null;
  /** 'group rebalance completed' lines, sent by the child at stop. */
  rebalances: RebalanceEvent[];
  /** Warnings and errors the broker logged (the first 20). */
  problems: string[];
  /** SIGTERM; resolves with the broker's close() ms as the child measured it. */
  stop(): Promise<number>;
}

/**
 * startBroker() in a child (embedded-child.ts) on `dataDir` with `config`, or with
 * `echo` the trivial floor server (echo-child.ts). The data dir is the caller's.
 */
export async function startEmbeddedChild(opts: { name: string; dataDir: string; config: Record<string, string>; profileDir?: string; echo?: boolean; cleanBeforeStop?: boolean }): Promise<EmbeddedChild> {
  const profileDir = opts.profileDir ?? null;
  const script = opts.echo ? ECHO_CHILD : EMBEDDED_CHILD;
  const args = [...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), '--import', TSX_LOADER, script, ...(opts.cleanBeforeStop ? ['--clean-before-stop'] : []), '--data-dir', opts.dataDir, '--config', JSON.stringify(opts.config)];
  const proc = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  const { exited, dead } = exitOf(proc);
  let closeMs = NaN;
  const child = {
    name: opts.name,
    pid: proc.pid!,
    port: 0,
    dataDir: opts.dataDir,
    profileDir,
    metricsPort: null,
    scrape: () => Promise.reject(new Error('embedded children serve no metrics')),
    startBrokerMs: NaN,
    startBrokerCpuMs: NaN,
    sinceProcessStartMs: NaN,
    replay: null as EmbeddedChild['replay'],
    rebalances: [] as RebalanceEvent[],
    problems: [] as string[],
    stop: async () => {
      await terminate(proc, exited, dead, 120_000);
      return closeMs;
    },
  };
  const listening = new Promise<void>((resolveListening, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      switch (o.ev) {
        case 'listening':
          child.port = o.port as number;
          child.startBrokerMs = o.startBrokerMs as number;
          child.startBrokerCpuMs = (o.startBrokerCpuMs as number | undefined) ?? NaN;
          child.sinceProcessStartMs = o.sinceProcessStartMs as number;
          resolveListening();
          break;
        case 'replay':
          child.replay = { records: o.records as number, ms: o.ms as number };
          break;
        case 'rebalances':
          child.rebalances.push(...(o.list as RebalanceEvent[]));
          break;
        case 'stopped':
          closeMs = o.closeMs as number;
          break;
        case 'log':
          if (child.problems.length < 20) child.problems.push(String(o.line));
          break;
      }
    });
    void exited.then((code) => reject(new Error(`broker child ${opts.name} exited (${code}) before listening`)));
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`broker child ${opts.name} did not listen within 180 s`)), 180_000);
  });
  try {
    await Promise.race([listening, timeout]);
  } catch (e) {
    await terminate(proc, exited, dead, 5_000);
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return child;
}
