// `kafkalite dump --data-dir D [--topic T] [--partition P] [--records] [--files] [--json]`:
// prints what the partition files hold (storage/dump.ts): per segment, each
// batch's offsets, timestamps, producer id/epoch/sequence, codec, record count
// and CRC state; with --records each record (key, value, headers), and for
// __consumer_offsets the coordinator record decoded (offset commits, group
// metadata); with --files the offset and time index entries and every file name.

import { parseArgs } from 'node:util';
import { RealFileSystem } from '../storage/fs-real.js';
import { dumpPartition, partitionDirs, type DumpedBatch, type DumpedPartition } from '../storage/dump.js';
import { decodeCoordinatorRecord } from '../broker/offsets/records.js';
import type { KafkaRecord } from '../protocol/record-batch.js';
import { CliUsageError } from './args.js';

export const DUMP_USAGE = `Usage: kafkalite dump --data-dir DIR [--topic T] [--partition P] [--records] [--files] [--json]

Prints the segments of a data directory offline: batches (offsets, timestamps,
producer ids, codec, record count, CRC), with --records every record
(__consumer_offsets records decoded), with --files the index entries.
`;

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const OFFSETS_TOPIC = '__consumer_offsets';

export async function dumpCommand(argv: readonly string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        'data-dir': { type: 'string' },
        topic: { type: 'string' },
        partition: { type: 'string' },
        records: { type: 'boolean' },
        files: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new CliUsageError((e as Error).message.replace(/\s*\n\s*/g, ' '));
  }
  if (values.help) {
    out.write(DUMP_USAGE);
    return 0;
  }
  const dataDir = values['data-dir'];
  if (dataDir === undefined || dataDir.trim() === '') throw new CliUsageError('dump needs --data-dir DIR');
  let partition: number | undefined;
  if (values.partition !== undefined) {
    partition = /^\d+$/.test(values.partition) ? Number(values.partition) : NaN;
    if (!Number.isSafeInteger(partition)) throw new CliUsageError(`--partition must be a partition number, got "${values.partition}"`);
  }
  const fs = new RealFileSystem();
  if (!(await fs.exists(dataDir))) throw new CliUsageError(`no data directory at ${dataDir}`);
  const dirs = await partitionDirs(fs, dataDir, values.topic, partition);
  if (dirs.length === 0) throw new CliUsageError(`no partition directory matches in ${dataDir}`);
  const opts = { records: values.records ?? false, files: values.files ?? false };
  const dumped: DumpedPartition[] = [];
  for (const d of dirs) {
    const p = await dumpPartition(fs, dataDir, d, opts);
    if (values.json) dumped.push(p);
    else out.write(renderPartition(p));
  }
  if (values.json) out.write(`${JSON.stringify(dumped.map(toJson), jsonValue, 2)}\n`);
  return 0;
}

/** bigint as a number string-free where it fits; Buffers as UTF-8 when printable, else base64. */
function jsonValue(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  return v;
}

function bytes(b: Buffer | null): string | null {
  if (b === null) return null;
  const s = b.toString('utf8');
  return /^[\x20-\x7e\t\r\n]*$/.test(s) ? s : `base64:${b.toString('base64')}`;
}

function recordJson(topic: string, r: KafkaRecord): Record<string, unknown> {
  const base = { offset: r.offset, timestamp: r.timestamp, key: bytes(r.key), value: bytes(r.value), headers: r.headers.map((h) => ({ key: h.key, value: bytes(h.value) })) };
  if (topic !== OFFSETS_TOPIC || r.key === null) return base;
  try {
    return { ...base, coordinatorRecord: decodeCoordinatorRecord(r.key, r.value) ?? 'not a record this broker keeps' };
  } catch (e) {
    return { ...base, coordinatorRecord: `undecodable: ${(e as Error).message}` };
  }
}

function batchJson(topic: string, b: DumpedBatch): Record<string, unknown> {
  const h = b.header;
  return {
    position: b.position,
    size: b.size,
    baseOffset: h.baseOffset,
    lastOffset: h.baseOffset + BigInt(h.lastOffsetDelta),
    count: h.recordCount,
    baseTimestamp: h.baseTimestamp,
    maxTimestamp: h.maxTimestamp,
    timestampType: h.timestampType === 1 ? 'LogAppendTime' : 'CreateTime',
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    transactional: h.isTransactional,
    control: h.isControl,
    codec: CODECS[h.compression] ?? `unknown(${h.compression})`,
    partitionLeaderEpoch: h.partitionLeaderEpoch,
    crcValid: b.crcValid,
    ...(b.records ? { records: b.records.map((r) => recordJson(topic, r)) } : {}),
    ...(b.recordsError ? { recordsError: b.recordsError } : {}),
  };
}

function toJson(p: DumpedPartition): Record<string, unknown> {
  return { ...p, segments: p.segments.map((s) => ({ ...s, batches: s.batches.map((b) => batchJson(p.topic, b)) })) };
}

function renderPartition(p: DumpedPartition): string {
  const lines = [`== ${p.dir} (topic ${p.topic}, partition ${p.partition})`];
  if (p.segments.some((s) => s.offsetIndex)) lines.push(`files: ${p.files.join(' ')}`);
  for (const s of p.segments) {
    lines.push(`segment ${s.file} (base offset ${s.baseOffset}, ${s.bytes} bytes, ${s.batches.length} batches)`);
    for (const b of s.batches) {
      const j = batchJson(p.topic, b);
      lines.push(
        `  @${j.position} offsets ${j.baseOffset}..${j.lastOffset} count ${j.count} size ${j.size} ` +
          `${j.timestampType} ${j.baseTimestamp}..${j.maxTimestamp} producer ${j.producerId}/${j.producerEpoch} seq ${j.baseSequence} ` +
          `codec ${j.codec}${b.header.isTransactional ? ' transactional' : ''}${b.header.isControl ? ' control' : ''} epoch ${j.partitionLeaderEpoch}` +
          `${b.crcValid ? '' : ' CRC MISMATCH'}`,
      );
      if (b.recordsError) lines.push(`    records: cannot decode: ${b.recordsError}`);
      for (const r of (j.records as Record<string, unknown>[] | undefined) ?? []) lines.push(`    ${JSON.stringify(r, jsonValue)}`);
    }
    if (s.problem) lines.push(`  @${s.problem.position} stop: ${s.problem.problem}`);
    if (s.offsetIndex) lines.push(`  index: ${s.offsetIndex.map((e) => `${e.offset}@${e.position}`).join(' ') || '(empty)'}`);
    if (s.timeIndex) lines.push(`  timeindex: ${s.timeIndex.map((e) => `${e.timestamp}->${e.offset}`).join(' ') || '(empty)'}`);
  }
  return `${lines.join('\n')}\n`;
}
