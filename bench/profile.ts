// Summarizes a broker child's `--cpu-prof` output: top self and inclusive time
// of its main thread, counting only samples inside a measured window.
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, printTable } from './stats.js';

const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/**
 * Prints the top functions of the main-thread profile in `dir`
 * (`CPU.<date>.<time>.<pid>.0.<seq>.cpuprofile`; tsx's loader thread writes
 * another), within `window` (profile clock, microseconds) when given.
 */
export async function summarizeProfile(dir: string, window: [number, number] | undefined, title: string, top = 20): Promise<void> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => /\.0\.\d+\.cpuprofile$/.test(f));
  } catch {
    return;
  }
  if (files.length === 0) return;
  const prof = JSON.parse(await readFile(join(dir, files[0]!), 'utf8')) as CpuProfile;
  const [from, to] = window ?? [-Infinity, Infinity];
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const names = new Map<number, string>();
  const nameOf = (id: number) => {
    let k = names.get(id);
    if (k === undefined) {
      const cf = byId.get(id)!.callFrame;
      const file = cf.url ? cf.url.replace(/^file:\/\//, '').replace(`${REPO}/`, '').replace(/.*node_modules\//, 'nm/') : '';
      k = `${cf.functionName || '(anonymous)'}${file ? ` ${file}${cf.lineNumber > 0 ? `:${cf.lineNumber + 1}` : ''}` : ''}`;
      names.set(id, k);
    }
    return k;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let all = 0;
  let idle = 0;
  let t = prof.startTime;
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = prof.timeDeltas[i] ?? 0;
    t += dt;
    if (t < from || t > to) continue;
    const id = prof.samples[i]!;
    all += dt;
    const k = nameOf(id);
    if (k === '(idle)') idle += dt;
    self.set(k, (self.get(k) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const kk = nameOf(cur);
      if (seen.has(kk)) continue;
      seen.add(kk);
      total.set(kk, (total.get(kk) ?? 0) + dt);
    }
  }
  const busy = all - idle;
  const rows = (m: Map<string, number>) =>
    [...m.entries()]
      .filter(([k]) => k !== '(idle)' && k !== '(root)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => [k, fmt(v / 1000), `${((100 * v) / busy).toFixed(1)}%`]);
  printTable(`profile ${title}: broker main thread in the measured window, busy ${fmt(busy / 1e6)} s of ${fmt(all / 1e6)} s ((program) = native time outside JS: libuv, syscalls); top SELF`, ['function', 'ms', '% busy'], rows(self));
  printTable(`profile ${title}: top TOTAL (inclusive)`, ['function', 'ms', '% busy'], rows(total));
}
