// `kafkalite consume TOPIC`: prints records, alone (every or chosen partitions)
// or as a member of a consumer group, until a count, the end of the partitions
// as they were at start, or Ctrl-C with --follow.
import { CliUsageError } from '../args.js';
import { IsolationLevel } from '../../client/offsets.js';
import { consume, type StartFrom } from '../../client/consumer.js';
import { COMMON_USAGE, parseCommand, intOption, requireArg, withClient } from './common.js';
import { Progress } from './output.js';
import { recordFormatter } from './record-format.js';

const USAGE = `Usage: kafkalite consume TOPIC [options]

Prints TOPIC's records, one per line. Without --follow it stops at the end of
the partitions as they were when it started; a summary goes to stderr.

Options:
  --from WHERE          beginning (default), end, an offset (in each partition),
                        or @TIME: the first record at or after TIME, in ms since
                        the epoch or ISO 8601 (@2024-05-01T10:00:00Z)
  --partition N[,N...]  only these partitions (not with --group)
  --group GROUP         consume as a member of GROUP (classic protocol, range
                        assignor), start at its committed offsets (partitions
                        without one start at --from) and commit what was printed
  --count N             stop after N records
  --follow              keep waiting for new records (Ctrl-C to stop)
  --format FORMAT       value (default), key=value, or a template with kcat's
                        tokens: %t topic, %p partition, %o offset, %T timestamp,
                        %k key, %s value, %K/%S key/value length, %h headers,
                        %% percent; escapes \\n \\t \\\\ (end it with \\n)
  --json                one JSON object per record: topic, partition, offset,
                        timestamp, timestampType, key, value, headers
  --isolation LEVEL     read_uncommitted (default) or read_committed

Keys, values and headers print as UTF-8 text; null prints as "null".

${COMMON_USAGE}`;

const OPTIONS = {
  from: { type: 'string' },
  partition: { type: 'string' },
  group: { type: 'string' },
  count: { type: 'string' },
  follow: { type: 'boolean' },
  format: { type: 'string' },
  isolation: { type: 'string' },
} as const;

export function parseFrom(text: string | undefined): StartFrom {
  if (text === undefined || text === 'beginning' || text === 'earliest') return { kind: 'earliest' };
  if (text === 'end' || text === 'latest') return { kind: 'latest' };
  if (/^\d+$/.test(text)) return { kind: 'offset', offset: BigInt(text) };
  if (text.startsWith('@')) {
    const t = text.slice(1);
    const ms = /^\d+$/.test(t) ? Number(t) : /^\d{4}-\d{2}-\d{2}/.test(t) ? Date.parse(t) : NaN;
    if (Number.isSafeInteger(ms)) return { kind: 'timestamp', ms: BigInt(ms) };
  }
  throw new CliUsageError(`--from must be beginning, end, an offset or @TIME (ms or ISO 8601), got "${text}"`);
}

export async function consumeCommand(argv: string[]): Promise<void> {
  const parsed = parseCommand(argv, OPTIONS, USAGE);
  if (parsed === null) return;
  const { values, positionals, common } = parsed;
  const topicName = requireArg(positionals[0], 'topic name');
  if (positionals.length > 1) throw new CliUsageError(`unexpected argument "${positionals[1]}"`);
  const from = parseFrom(values.from);
  const partitions = values.partition?.split(',').map((p) => intOption('--partition', p, 0));
  if (partitions !== undefined && values.group !== undefined) throw new CliUsageError('--partition and --group do not go together: the group assigns partitions');
  const count = values.count === undefined ? undefined : intOption('--count', values.count, 1);
  if (values.group === '') throw new CliUsageError('--group must not be empty');
  const isolation = values.isolation ?? 'read_uncommitted';
  if (isolation !== 'read_uncommitted' && isolation !== 'read_committed') {
    throw new CliUsageError(`--isolation must be read_uncommitted or read_committed, got "${isolation}"`);
  }
  const format = recordFormatter(values.format, common.json);

  // Ctrl-C stops after the current fetch (commits and leaves the group); a second one exits at once.
  const stop = new AbortController();
  const onSignal = (): void => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A reader that went away (| head) is a normal end.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
  });

  const progress = new Progress();
  let n = 0;
  await withClient(common, async (client) => {
    const topic = await client.topic(topicName);
    const total = await consume(
      client,
      {
        topic,
        ...(partitions !== undefined ? { partitions } : {}),
        from,
        isolationLevel: isolation === 'read_committed' ? IsolationLevel.readCommitted : IsolationLevel.readUncommitted,
        ...(values.group !== undefined ? { group: values.group } : {}),
        ...(count !== undefined ? { count } : {}),
        follow: values.follow === true,
        signal: stop.signal,
      },
      (r) => {
        process.stdout.write(format(r));
        n++;
        progress.update(`consumed ${n} record(s) from ${topicName}`);
      },
    );
    progress.done(`consumed ${total} record(s) from ${topicName}`);
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}
