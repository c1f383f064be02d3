// `kafkalite produce TOPIC`: one record per input line (stdin or --file), as
// plain values, KEY<sep>VALUE with --key-separator, or JSON objects with --json.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { CliUsageError } from '../args.js';
import { Compression, type CompressionName } from '../../protocol/compression.js';
import type { RecordHeader } from '../../protocol/record-batch.js';
import { TopicProducer, type ProduceRecord } from '../../client/producer.js';
import { parseJsonRecord, RecordInputError } from '../../client/json-record.js';
import { COMMON_USAGE, parseCommand, CommandError, intOption, keyValues, requireArg, withClient } from './common.js';
import { Progress } from './output.js';

const USAGE = `Usage: kafkalite produce TOPIC [options]

Writes one record per line of stdin (or --file) to TOPIC, which must exist.

Options:
  --file PATH            read lines from a file instead of stdin
  --key-separator SEP    each line is KEY<SEP>VALUE (a line without SEP is an error)
  --json                 each line is a JSON object: {"key": ..., "value": ...,
                         "headers": {"name": "value"}, "partition": N}; every field
                         optional; a string is sent as UTF-8, null as null, any
                         other JSON value as its JSON text
  --header K=V           add a header to every record (repeatable)
  --partition N          write every record to partition N (default: by key hash
                         as Kafka's default partitioner; unkeyed records go to one
                         partition per batch, the next batch to the next one)
  --compression CODEC    none, gzip, snappy, lz4 or zstd (default none)
  --acks all|1|0         acknowledgement wanted (default all)
  --batch-size N         records per batch (default 1000)

Input stops at the first bad line: the lines before it are produced, and the
command fails with the line's number (exit 1). A summary goes to stderr; here
--json names the input format, not the output.

${COMMON_USAGE}`;

const OPTIONS = {
  file: { type: 'string' },
  'key-separator': { type: 'string' },
  header: { type: 'string', multiple: true },
  partition: { type: 'string' },
  compression: { type: 'string' },
  acks: { type: 'string' },
  'batch-size': { type: 'string' },
} as const;

const ACKS: Readonly<Record<string, number>> = { all: -1, '-1': -1, '1': 1, '0': 0 };

export async function produceCommand(argv: string[]): Promise<void> {
  const parsed = parseCommand(argv, OPTIONS, USAGE);
  if (parsed === null) return;
  const { values, positionals, common } = parsed;
  const topicName = requireArg(positionals[0], 'topic name');
  if (positionals.length > 1) throw new CliUsageError(`unexpected argument "${positionals[1]}"`);
  const jsonInput = common.json;
  const separator = values['key-separator'];
  if (separator === '') throw new CliUsageError('--key-separator must not be empty');
  if (jsonInput && separator !== undefined) throw new CliUsageError('--json and --key-separator do not go together');
  const headers: RecordHeader[] = [...keyValues('--header', values.header)].map(([key, v]) => ({ key, value: Buffer.from(v) }));
  const partition = values.partition === undefined ? undefined : intOption('--partition', values.partition, 0);
  const compressionName = values.compression ?? 'none';
  if (!Object.hasOwn(Compression, compressionName)) throw new CliUsageError(`--compression must be none, gzip, snappy, lz4 or zstd, got "${compressionName}"`);
  const acks = ACKS[values.acks ?? 'all'];
  if (acks === undefined) throw new CliUsageError(`--acks must be all, 1 or 0, got "${values.acks}"`);
  const batchSize = values['batch-size'] === undefined ? 1000 : intOption('--batch-size', values['batch-size'], 1);

  const parse = (line: string, n: number): ProduceRecord => {
    if (jsonInput) {
      const r = parseJsonLine(line, n);
      // A line's own partition wins over --partition.
      const p = r.partition ?? partition;
      return { key: r.key, value: r.value, headers: [...headers, ...r.headers], ...(p !== undefined ? { partition: p } : {}) };
    }
    if (separator === undefined) return { key: null, value: Buffer.from(line), headers, ...(partition !== undefined ? { partition } : {}) };
    const at = line.indexOf(separator);
    if (at < 0) throw new CommandError(`line ${n}: no key separator "${separator}"`);
    return { key: Buffer.from(line.slice(0, at)), value: Buffer.from(line.slice(at + separator.length)), headers, ...(partition !== undefined ? { partition } : {}) };
  };

  const input = values.file === undefined ? process.stdin : createReadStream(values.file);
  const opened = new Promise<void>((resolve, reject) => {
    if (values.file === undefined) return resolve();
    input.once('open', () => resolve());
    input.once('error', (e: NodeJS.ErrnoException) => reject(new CliUsageError(`cannot read --file ${values.file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`)));
  });
  await opened;

  await withClient(common, async (client) => {
    const topic = await client.topic(topicName);
    const producer = new TopicProducer(client, topic, { acks, compression: Compression[compressionName as CompressionName], timeoutMs: common.timeoutMs });
    const perPartition = new Map<number, number>();
    const progress = new Progress();
    let produced = 0;
    let batch: ProduceRecord[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const result = await producer.send(batch);
      for (const [p, c] of result.counts) perPartition.set(p, (perPartition.get(p) ?? 0) + c);
      produced += batch.length;
      batch = [];
      progress.update(`produced ${produced} records to ${topicName}`);
    };
    let lineNo = 0;
    try {
      for await (const line of createInterface({ input, crlfDelay: Infinity })) {
        lineNo++;
        batch.push(parse(line, lineNo));
        if (batch.length >= batchSize) await flush();
      }
    } catch (e) {
      if (e instanceof CommandError) {
        await flush();
        throw new CommandError(`${e.message}; the ${produced} record(s) before it were produced`);
      }
      throw e;
    }
    await flush();
    const where = [...perPartition].sort((a, b) => a[0] - b[0]).map(([p, c]) => `${c} to partition ${p}`).join(', ');
    progress.done(`produced ${produced} record(s) to ${topicName}${where ? ` (${where})` : ''}${acks === 0 ? ', acks=0: not confirmed' : ''}`);
  });
}

/** A JSON input line: {"key", "value", "headers", "partition"}, all optional. */
export function parseJsonLine(line: string, n: number): ProduceRecord {
  try {
    return parseJsonRecord(line);
  } catch (e) {
    if (e instanceof RecordInputError) throw new CommandError(`line ${n}: ${e.message}`);
    throw e;
  }
}
