// `npm run compat`: runs the scenarios that need clients from outside npm and
// prints a report card. A client that is not installed shows as "not available",
// never as passed. COMPAT_REQUIRE=kcat,chromium,librdkafka (CI) turns a missing client into a failure.
// Arguments are passed to vitest as filters: `npm run compat -- compat-tests/librdkafka`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kcatVersion } from './support/kcat.js';
import { chromiumVersion } from './support/chromium.js';
import { librdkafkaVersion } from './support/librdkafka.js';

interface JsonAssertion {
  ancestorTitles: string[];
  title: string;
  status: 'passed' | 'failed' | 'skipped' | 'pending' | 'todo' | 'disabled';
}
interface JsonReport {
  testResults: { name: string; assertionResults: JsonAssertion[] }[];
}

const clients: Record<string, string | null> = { kcat: kcatVersion(), chromium: chromiumVersion(), librdkafka: librdkafkaVersion() };
const out = join(mkdtempSync(join(tmpdir(), 'kafkalite-compat-')), 'report.json');
const run = spawnSync(
  'npx',
  ['vitest', 'run', '--config', 'vitest.compat.config.ts', '--reporter=default', '--reporter=json', `--outputFile=${out}`, ...process.argv.slice(2)],
  { stdio: 'inherit', env: process.env },
);

let report: JsonReport;
try {
  report = JSON.parse(readFileSync(out, 'utf8'));
} catch {
  process.stderr.write(`compat: vitest produced no report (exit ${run.status})\n`);
  process.exit(1);
}

const rows: [string, string, string][] = [];
let passed = 0;
let failed = 0;
let unavailable = 0;
let skipped = 0;
for (const file of report.testResults) {
  const client = Object.keys(clients).find((c) => file.name.includes(`/${c}/`)) ?? 'other';
  for (const a of file.assertionResults) {
    let result: string;
    if (a.status === 'passed') {
      result = 'pass';
      passed++;
    } else if (a.status === 'failed') {
      result = 'FAIL';
      failed++;
    } else if (clients[client] === null) {
      result = 'not available';
      unavailable++;
    } else {
      result = a.status;
      skipped++;
    }
    rows.push([client, [...a.ancestorTitles, a.title].join(' > '), result]);
  }
}

const width = (i: number) => Math.max(...rows.map((r) => r[i].length), 8);
const line = (r: [string, string, string]) => `${r[0].padEnd(width(0))}  ${r[1].padEnd(width(1))}  ${r[2]}`;
process.stdout.write('\nCompatibility report\n');
for (const [c, v] of Object.entries(clients)) process.stdout.write(`  ${c}: ${v ?? 'not available'}\n`);
process.stdout.write(`\n${line(['client', 'scenario', 'result'])}\n`);
for (const r of rows) process.stdout.write(`${line(r)}\n`);
process.stdout.write(`\n${unavailable} scenario(s) not available and ${skipped} skipped by the scenario itself (both counted as skipped, never as passed)\n`);
process.stdout.write(`compat: ${passed} passed, ${failed} failed, ${unavailable + skipped} skipped\n`);

const required = (process.env.COMPAT_REQUIRE ?? '').split(',').filter(Boolean);
const missing = required.filter((c) => clients[c] === null || clients[c] === undefined);
if (missing.length) process.stderr.write(`compat: required client(s) not available: ${missing.join(', ')}\n`);
process.exit(failed > 0 || missing.length > 0 || run.status !== 0 ? 1 : 0);
