// The result of a bench run: rows of figures, each beside the ceiling or floor
// measured in the same run, the ratio and the goal (issue 15). print() writes the
// table; write() writes the same rows as JSON to bench/results/<bench>-<time>.json
// (git-ignored) so runs can be compared (bench/compare.ts).
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fmt, printTable } from '../stats.js';
import type { CpuShares } from './cpu.js';
import type { BrokerCounters } from './metrics.js';
import { REPO } from './data-root.js';

export interface ResultRow {
  /** The scenario's id (e.g. "throughput/produce/a"): with `figure`, the key compare.ts matches rows by. */
  scenario: string;
  /** What was measured, in words (printed in the first row of a scenario). */
  title?: string;
  /** The unit or name of the number ("MB/s", "p99 ms"). */
  figure: string;
  /** The median (or the one measurement). */
  value: number;
  /** Lowest and highest of the per-interval values the median is of. */
  range?: [number, number];
  /** The ceiling or floor measured in the same run, and what it is. */
  ceiling?: number;
  ceilingName?: string;
  /** value / ceiling (or, for a floor, value / floor). */
  ratio?: number;
  /** The goal, in issue 15's words. */
  goal?: string;
  met?: boolean;
  cpu?: CpuShares;
  counters?: BrokerCounters | null;
  notes?: string;
}

export interface RunInfo {
  bench: string;
  startedAt: string;
  args: string[];
  commit: string;
  loadavgStart: number[];
  loadavgEnd?: number[];
  cpus: number;
  node: string;
}

export interface ResultFile {
  run: RunInfo;
  rows: ResultRow[];
}

const pct = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '' : `${(x * 100).toFixed(0)}%`);
const share = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '?' : `${(x * 100).toFixed(0)}%`);

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

export class Report {
  readonly rows: ResultRow[] = [];
  readonly run: RunInfo;

  constructor(bench: string) {
    this.run = { bench, startedAt: new Date().toISOString(), args: process.argv.slice(2), commit: gitCommit(), loadavgStart: loadavg(), cpus: cpus().length, node: process.version };
  }

  add(row: ResultRow): ResultRow {
    if (row.ratio === undefined && row.ceiling !== undefined) row.ratio = row.value / row.ceiling;
    // no ceiling measured (--no-ceilings) or no figure: no verdict either
    if (row.ratio !== undefined && !Number.isFinite(row.ratio)) row.met = undefined;
    this.rows.push(row);
    return row;
  }

  /** The table: figure, min..max, goal, ceiling/floor, ratio, met, CPU of broker (main thread), load generator and the rest. */
  print(title: string, rows: readonly ResultRow[] = this.rows): void {
    let last = '';
    printTable(
      `${title} (CPU 100% = one core; other = the rest of the machine in the window: noise)`,
      ['scenario', 'figure', 'median', 'min..max', 'goal', 'ceiling/floor', 'ratio', 'met', 'broker CPU (main)', 'loadgen', 'other'],
      rows.map((r) => {
        const first = r.scenario !== last;
        last = r.scenario;
        return [
          first ? `${r.title ?? r.scenario}` : r.title && r.title !== r.scenario ? `  ${r.title}` : '',
          r.figure,
          Number.isFinite(r.value) ? fmt(r.value) : 'n/a',
          r.range ? `${fmt(r.range[0])}..${fmt(r.range[1])}` : '',
          r.goal ?? '',
          r.ceiling !== undefined ? `${fmt(r.ceiling)}${r.ceilingName ? ` ${r.ceilingName}` : ''}` : '',
          r.ratio !== undefined ? (r.ceilingName?.includes('floor') ? `${fmt(r.ratio)}x` : pct(r.ratio)) : '',
          r.met === undefined ? '' : r.met ? 'yes' : 'NO',
          r.cpu ? `${share(r.cpu.broker)} (${share(r.cpu.brokerMain)})` : '',
          r.cpu ? share(r.cpu.load) : '',
          r.cpu ? share(r.cpu.other) : '',
        ];
      }),
    );
    const noisy = [...new Set(rows.filter((r) => r.cpu && r.cpu.other > 0.2).map((r) => r.scenario))];
    if (noisy.length) process.stdout.write(`note: other work used more than 20% of a core during ${noisy.join(', ')}: those figures are low by an unknown amount\n`);
  }

  /** The broker counters of the rows that have them (read from its /metrics), as a second table. */
  printCounters(rows: readonly ResultRow[] = this.rows): void {
    const withCounters = rows.filter((r) => r.counters);
    if (withCounters.length === 0) return;
    printTable(
      'broker counters over the same windows (from its --metrics-port): per second; GC = pause time / wall time; ELU = event-loop utilization',
      ['scenario', 'fsyncs/s', 'MB written/s', 'file writes/s', 'tail-cache hits/s', 'disk reads/s', 'GC', 'ELU'],
      withCounters.map((r) => {
        const c = r.counters!;
        return [r.title ?? r.scenario, c.fsyncsPerSec, c.bytesWrittenPerSec / 1e6, c.fileWritesPerSec, c.tailCacheHitsPerSec, c.tailCacheMissesPerSec, share(c.gcShare), share(c.eventLoopUtilization)];
      }),
    );
  }

  /** Writes bench/results/<bench>-<time>.json; returns its path. */
  async write(): Promise<string> {
    this.run.loadavgEnd = loadavg();
    const dir = join(REPO, 'bench', 'results');
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${this.run.bench.replace(/\//g, '-')}-${this.run.startedAt.replace(/[:.]/g, '-')}.json`);
    const file: ResultFile = { run: this.run, rows: this.rows };
    await writeFile(path, `${JSON.stringify(file, null, 1)}\n`);
    process.stdout.write(`\nresults: ${path}\n`);
    return path;
  }
}
