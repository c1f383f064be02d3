// `kafkalite verify --data-dir D [--json]`: checks every segment, index,
// producer snapshot and checkpoint of a data directory offline (storage/verify.ts)
// and prints a table of partitions and one line per fault, or the whole report
// as JSON. Exit code 0 when nothing is wrong, 1 when a fault was found, 2 for a
// bad command line or a directory that cannot be read.

import { parseArgs } from 'node:util';
import { RealFileSystem } from '../storage/fs-real.js';
import { readLockHolder } from '../storage/dir-lock.js';
import { verifyDataDir, type VerifyReport } from '../storage/verify.js';
import { ClusterStore, TOPICS_FILE } from '../broker/cluster-store.js';
import { CliUsageError } from './args.js';
import { table } from './table.js';

export const VERIFY_USAGE = `Usage: kafkalite verify --data-dir DIR [--json]

Checks every segment (batch lengths, magic, CRC32C, offsets that only grow), index,
time index, producer snapshot and checkpoint of a data directory, offline.
Exit code 1 when a fault is found.
`;

export async function verifyCommand(argv: readonly string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], strict: true, options: { 'data-dir': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (e) {
    throw new CliUsageError((e as Error).message.replace(/\s*\n\s*/g, ' '));
  }
  if (values.help) {
    out.write(VERIFY_USAGE);
    return 0;
  }
  const dataDir = values['data-dir'];
  if (dataDir === undefined || dataDir.trim() === '') throw new CliUsageError('verify needs --data-dir DIR');
  const fs = new RealFileSystem();
  if (!(await fs.exists(dataDir))) throw new CliUsageError(`no data directory at ${dataDir}`);
  const report = await verifyDataDir(fs, dataDir);
  // The topic file is the broker's (cluster-store.ts): checked by the code that reads it at start.
  if (await fs.exists(`${dataDir}/${TOPICS_FILE}`)) {
    report.files.push(TOPICS_FILE);
    await new ClusterStore(fs, dataDir).load().catch((e: unknown) => report.faults.push({ file: TOPICS_FILE, problem: (e as Error).message }));
  }
  if (values.json) out.write(`${JSON.stringify(report, null, 2)}\n`);
  else out.write(await render(report, await readLockHolder(fs, dataDir).catch(() => null)));
  return report.faults.length === 0 ? 0 : 1;
}

async function render(r: VerifyReport, holder: { pid: number } | null): Promise<string> {
  const lines: string[] = [];
  if (holder !== null) lines.push(`note: ${r.dataDir}/.lock names pid ${holder.pid}; if that broker is running, its newest writes may show as faults`);
  lines.push(
    table(
      ['PARTITION', 'SEGMENTS', 'BATCHES', 'RECORDS', 'OFFSETS', 'BYTES', 'INDEX', 'TIMEINDEX', 'SNAPSHOTS'],
      r.partitions.map((p) => {
        const batches = p.segments.reduce((n, s) => n + s.batches, 0);
        const records = p.segments.reduce((n, s) => n + s.records, 0);
        const bytes = p.segments.reduce((n, s) => n + s.bytes, 0);
        const first = p.segments[0]?.baseOffset ?? 0;
        const next = p.segments[p.segments.length - 1]?.nextOffset ?? 0;
        return [p.dir, p.segments.length, batches, records, `${first}..${next - 1}`, bytes, p.indexEntries, p.timeIndexEntries, p.snapshots].map(String);
      }),
    ),
  );
  lines.push(`checked ${r.partitions.length} partitions and ${r.files.length} files (${r.files.join(', ') || 'none'})`);
  if (r.faults.length === 0) lines.push('no faults');
  else {
    lines.push(`${r.faults.length} fault${r.faults.length === 1 ? '' : 's'}:`);
    for (const f of r.faults) lines.push(`  ${f.file}${f.position !== undefined ? ` @${f.position}` : ''}: ${f.problem}`);
  }
  return `${lines.join('\n')}\n`;
}
