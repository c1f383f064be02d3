// The console's message browser and produce form. Reading decodes records with
// the test double's partitionRecords (protocol/record-batch decodeBatch), and
// shows keys, values and headers as JSON (pretty-printed), UTF-8 text or hex.
// Producing goes through the project's own client to the broker's own
// listener, so a record from the form meets exactly the checks a Produce
// request from any client meets (max.message.bytes, compaction keys, ...).
import { partitionRecords } from '../double/readiness.js';
import { KafkaClient, type HostPort } from '../../client/kafka-client.js';
import { TopicProducer } from '../../client/producer.js';
import { ConnectionError, KafkaError } from '../../client/errors.js';
import { parseJsonRecord, RecordInputError } from '../../client/json-record.js';
import { Compression } from '../../protocol/compression.js';
import { ConsoleError, requireTopic, type ConsoleSources } from './state.js';

/** How one key, value or header value is shown. */
export interface Shown {
  readonly kind: 'null' | 'json' | 'text' | 'binary';
  /** Pretty JSON, the text, or hex bytes ("" for null). */
  readonly text: string;
  readonly bytes: number;
  readonly truncated: boolean;
}

const SHOW_MAX_CHARS = 16 * 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true });
// Text a person can read: no control characters but tab and line breaks.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export function show(b: Buffer | null): Shown {
  if (b === null) return { kind: 'null', text: '', bytes: 0, truncated: false };
  let text: string | undefined;
  try {
    text = utf8.decode(b);
  } catch {
    text = undefined;
  }
  let kind: Shown['kind'];
  let out: string;
  if (text === undefined || CONTROL.test(text)) {
    kind = 'binary';
    out = b.toString('hex').replace(/(..)(?!$)/g, '$1 ');
  } else {
    kind = 'text';
    out = text;
    if (/^\s*[[{]/.test(text)) {
      try {
        out = JSON.stringify(JSON.parse(text), null, 2);
        kind = 'json';
      } catch {
        // Not JSON after all: shown as text.
      }
    }
  }
  const truncated = out.length > SHOW_MAX_CHARS;
  return { kind, text: truncated ? out.slice(0, SHOW_MAX_CHARS) : out, bytes: b.length, truncated };
}

export interface BrowseQuery {
  readonly partition?: string | null;
  readonly offset?: string | null;
  readonly timestamp?: string | null;
  readonly limit?: string | null;
}

const MAX_LIMIT = 500;

function wholeNumber(name: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConsoleError(400, `${name} must be a whole number${max === Number.MAX_SAFE_INTEGER ? ` of at least ${min}` : ` from ${min} to ${max}`}, got "${text}"`);
  }
  return n;
}

/** Epoch ms, or a date the browser's date input or ISO 8601 gives. */
function timestampOf(text: string): number {
  if (/^\d+$/.test(text.trim())) return wholeNumber('timestamp', text, 0);
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new ConsoleError(400, `timestamp must be epoch milliseconds or an ISO 8601 date, got "${text}"`);
  return ms;
}

/**
 * Records of one partition: from `offset`, from the first record at or after
 * `timestamp`, or (neither given) the last `limit` records.
 */
export async function browse(sources: ConsoleSources, topicName: string, q: BrowseQuery) {
  const topic = requireTopic(sources, topicName);
  const partition = wholeNumber('partition', q.partition ?? '0', 0, topic.partitions.length - 1);
  const given = (v: string | null | undefined): v is string => v !== null && v !== undefined;
  const limit = given(q.limit) ? wholeNumber('limit', q.limit, 1, MAX_LIMIT) : 50;
  if (given(q.offset) && given(q.timestamp)) throw new ConsoleError(400, 'give offset or timestamp, not both');
  const log = sources.logs.logOf(topic.id, partition);
  if (log === undefined) throw new ConsoleError(404, `partition ${partition} of "${topicName}" is not on this broker`);
  const start = log.logStartOffset;
  const end = log.highWatermark;
  let from: number;
  if (given(q.offset)) {
    from = wholeNumber('offset', q.offset, 0);
    if (from < start || from > end) throw new ConsoleError(400, `offset ${from} is out of range: partition ${partition} holds offsets ${start} to ${end - 1} (next ${end})`);
  } else if (given(q.timestamp)) {
    const found = await log.offsetForTimestamp(timestampOf(q.timestamp));
    from = found === null ? end : found.offset;
  } else {
    from = Math.max(start, end - limit);
  }
  const records = await partitionRecords(sources.logs, topic.name, partition, { from, max: limit });
  return {
    topic: topic.name,
    partition,
    logStartOffset: start,
    highWatermark: end,
    from,
    records: records.map((r) => ({
      offset: r.offset,
      timestamp: r.timestamp,
      key: show(r.key),
      value: show(r.value),
      headers: r.headers.map((h) => ({ key: h.key, value: show(h.value) })),
    })),
  };
}

/**
 * Appends one record given as JSON ({"key", "value", "headers", "partition"},
 * as `kafkalite produce --json` reads). With `valueIsJson` the value must be a
 * string of valid JSON, which is sent as that text.
 */
export async function produce(sources: ConsoleSources, bootstrap: HostPort | null, topicName: string, body: string, valueIsJson: boolean) {
  const topic = requireTopic(sources, topicName);
  let record;
  try {
    record = parseJsonRecord(body);
  } catch (e) {
    if (e instanceof RecordInputError) throw new ConsoleError(400, e.message);
    throw e;
  }
  if (valueIsJson) {
    const text = record.value?.toString('utf8') ?? 'null';
    try {
      JSON.parse(text);
    } catch (e) {
      throw new ConsoleError(400, `value is not valid JSON: ${(e as Error).message}`);
    }
  }
  if (record.partition !== undefined && record.partition >= topic.partitions.length) {
    throw new ConsoleError(400, `partition ${record.partition} does not exist: "${topic.name}" has ${topic.partitions.length} partition(s)`);
  }
  if (bootstrap === null) throw new ConsoleError(503, 'the produce form needs a PLAINTEXT listener, and this broker has none');
  let client: KafkaClient;
  try {
    client = await KafkaClient.connect({ bootstrap: [bootstrap], clientId: 'kafkalite-console', softwareName: 'kafkalite-console', timeoutMs: 10_000 });
  } catch (e) {
    if (e instanceof ConnectionError) throw new ConsoleError(503, `cannot reach the broker's listener: ${e.message}`);
    throw e;
  }
  try {
    const info = await client.topic(topic.name);
    const result = await new TopicProducer(client, info, { acks: -1, compression: Compression.none, timeoutMs: 10_000 }).send([record]);
    const [[partition, offset]] = [...result.baseOffsets];
    return { topic: topic.name, partition, offset: Number(offset) };
  } catch (e) {
    if (e instanceof KafkaError) throw new ConsoleError(400, e.message);
    if (e instanceof ConnectionError) throw new ConsoleError(503, `the broker's listener failed: ${e.message}`);
    throw e;
  } finally {
    client.close();
  }
}
