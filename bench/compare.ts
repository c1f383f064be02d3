// Compares two bench result files (bench/results/*.json, written by every bench
// that uses bench/harness/results.ts): each figure before and after, the change,
// and the ratio to the ceiling or floor each run measured itself.
//
// Run: npx tsx bench/compare.ts BEFORE.json AFTER.json
import { readFile } from 'node:fs/promises';
import { fmt, printTable } from './stats.js';
import type { ResultFile, ResultRow } from './harness/results.js';

const [beforePath, afterPath] = process.argv.slice(2);
if (!beforePath || !afterPath) {
  process.stderr.write('usage: npx tsx bench/compare.ts BEFORE.json AFTER.json\n');
  process.exit(2);
}

const load = async (p: string) => JSON.parse(await readFile(p, 'utf8')) as ResultFile;
const [before, after] = await Promise.all([load(beforePath), load(afterPath)]);
const key = (r: ResultRow) => `${r.scenario}\u0000${r.figure}`;
const ratio = (r: ResultRow | undefined) =>
  r?.ratio === undefined || !Number.isFinite(r.ratio) ? '' : r.ceilingName?.includes('floor') ? `${fmt(r.ratio)}x` : `${(r.ratio * 100).toFixed(0)}%`;
const value = (r: ResultRow | undefined) => (r && Number.isFinite(r.value) ? fmt(r.value) : '');

const a = new Map(before.rows.map((r) => [key(r), r]));
const b = new Map(after.rows.map((r) => [key(r), r]));
const keys = [...new Set([...b.keys(), ...a.keys()])];
const describe = (f: ResultFile) => `${f.run.bench} at ${f.run.startedAt} (commit ${f.run.commit}, load ${f.run.loadavgStart.map((x) => x.toFixed(1)).join(' ')})`;
printTable(
  `before: ${describe(before)}\nafter:  ${describe(after)}`,
  ['scenario', 'figure', 'before', 'after', 'change', 'ratio before', 'ratio after', 'goal', 'met after'],
  keys.map((k) => {
    const x = a.get(k);
    const y = b.get(k);
    const r = (y ?? x)!;
    const change = x && y && Number.isFinite(x.value) && Number.isFinite(y.value) && x.value !== 0 ? `${y.value >= x.value ? '+' : ''}${(((y.value - x.value) / x.value) * 100).toFixed(1)}%` : '';
    return [r.scenario, r.figure, value(x), value(y), change, ratio(x), ratio(y), r.goal ?? '', y?.met === undefined ? '' : y.met ? 'yes' : 'NO'];
  }),
);
