// The per-log settings, by Kafka's names: each topic-level config, the broker
// config that supplies its default (with Kafka's unit synonyms such as
// log.roll.hours), and Kafka's default value. Resolution order, as in Kafka:
// topic override > broker setting > default.
//
// kafkalite-specific (not Kafka configs):
//   flush.mode / log.flush.mode = interval | group-commit   (default interval)
//     interval:     Kafka's behaviour: fsync when flush.messages or flush.ms say
//                   so (by default never: the OS writes back, recovery repairs),
//                   on segment roll, and at shutdown.
//     group-commit: fsync continuously, at most one fsync in flight per log,
//                   every append written before an fsync starts is covered by
//                   it; a Produce with acks=-1 is answered only once an fsync
//                   covers its batch, and consumers see (high watermark) only
//                   fsynced data. acks=1 never waits for an fsync.
//
// This table is storage's part of the broker's config definitions; the broker
// config table can import LOG_CONFIG_DEFS rather than repeat the defaults.

import { LogError } from './errors.js';

/** Long.MAX_VALUE as Kafka spells "never" (as a JS number it compares as infinity would). */
export const LONG_MAX = 9223372036854775807;
export const LONG_MAX_STRING = '9223372036854775807';

export type FlushMode = 'interval' | 'group-commit';
export type TimestampType = 'CreateTime' | 'LogAppendTime';

export interface LogConfig {
  segmentBytes: number;
  segmentMs: number;
  segmentJitterMs: number;
  segmentIndexBytes: number;
  indexIntervalBytes: number;
  flushMessages: number;
  flushMs: number;
  flushMode: FlushMode;
  retentionMs: number;
  retentionBytes: number;
  maxMessageBytes: number;
  messageTimestampType: TimestampType;
  cleanupPolicy: readonly string[];
}

type Kind = 'long' | 'int' | 'string' | 'list';

export interface LogConfigDef {
  /** Topic-level name (CreateTopics, DescribeConfigs for a topic). */
  name: string;
  /** The broker config that supplies the default, and its synonyms with their unit in ms-or-bytes. */
  broker: readonly { name: string; scale: number }[];
  kind: Kind;
  default: string;
  min?: number;
  values?: readonly string[];
  doc: string;
  key: keyof LogConfig;
}

export const LOG_CONFIG_DEFS: readonly LogConfigDef[] = [
  { name: 'segment.bytes', key: 'segmentBytes', broker: [{ name: 'log.segment.bytes', scale: 1 }], kind: 'int', default: '1073741824', min: 14, doc: 'Segment file size before a roll.' },
  {
    name: 'segment.ms',
    key: 'segmentMs',
    broker: [
      { name: 'log.roll.ms', scale: 1 },
      { name: 'log.roll.hours', scale: 3_600_000 },
    ],
    kind: 'long',
    default: '604800000',
    min: 1,
    doc: 'Roll a segment this long after its first batch timestamp.',
  },
  {
    name: 'segment.jitter.ms',
    key: 'segmentJitterMs',
    broker: [
      { name: 'log.roll.jitter.ms', scale: 1 },
      { name: 'log.roll.jitter.hours', scale: 3_600_000 },
    ],
    kind: 'long',
    default: '0',
    min: 0,
    doc: 'Subtracted from segment.ms (kafkalite uses no random jitter).',
  },
  { name: 'segment.index.bytes', key: 'segmentIndexBytes', broker: [{ name: 'log.index.size.max.bytes', scale: 1 }], kind: 'int', default: '10485760', min: 4, doc: 'Largest offset index before a roll.' },
  { name: 'index.interval.bytes', key: 'indexIntervalBytes', broker: [{ name: 'log.index.interval.bytes', scale: 1 }], kind: 'int', default: '4096', min: 0, doc: 'Bytes between sparse index entries.' },
  { name: 'flush.messages', key: 'flushMessages', broker: [{ name: 'log.flush.interval.messages', scale: 1 }], kind: 'long', default: LONG_MAX_STRING, min: 1, doc: 'Fsync after this many unflushed records.' },
  {
    name: 'flush.ms',
    key: 'flushMs',
    broker: [
      { name: 'log.flush.interval.ms', scale: 1 },
      { name: 'log.flush.scheduler.interval.ms', scale: 1 },
    ],
    kind: 'long',
    default: LONG_MAX_STRING,
    min: 0,
    doc: 'Fsync unflushed data this long after it was appended.',
  },
  { name: 'flush.mode', key: 'flushMode', broker: [{ name: 'log.flush.mode', scale: 1 }], kind: 'string', default: 'interval', values: ['interval', 'group-commit'], doc: 'kafkalite: interval (Kafka) or group-commit (acks=-1 waits for an fsync).' },
  {
    name: 'retention.ms',
    key: 'retentionMs',
    broker: [
      { name: 'log.retention.ms', scale: 1 },
      { name: 'log.retention.minutes', scale: 60_000 },
      { name: 'log.retention.hours', scale: 3_600_000 },
    ],
    kind: 'long',
    default: '604800000',
    min: -1,
    doc: 'Delete segments whose newest timestamp is older than this (-1: never).',
  },
  { name: 'retention.bytes', key: 'retentionBytes', broker: [{ name: 'log.retention.bytes', scale: 1 }], kind: 'long', default: '-1', min: -1, doc: 'Delete oldest segments while the log is larger (-1: never).' },
  { name: 'max.message.bytes', key: 'maxMessageBytes', broker: [{ name: 'message.max.bytes', scale: 1 }], kind: 'int', default: '1048588', min: 0, doc: 'Largest record batch accepted.' },
  {
    name: 'message.timestamp.type',
    key: 'messageTimestampType',
    broker: [{ name: 'log.message.timestamp.type', scale: 1 }],
    kind: 'string',
    default: 'CreateTime',
    values: ['CreateTime', 'LogAppendTime'],
    doc: 'Keep the producer timestamp or stamp the append time.',
  },
  { name: 'cleanup.policy', key: 'cleanupPolicy', broker: [{ name: 'log.cleanup.policy', scale: 1 }], kind: 'list', default: 'delete', values: ['delete', 'compact'], doc: 'delete and/or compact (compaction is not done by storage yet).' },
];

const BY_NAME = new Map(LOG_CONFIG_DEFS.map((d) => [d.name, d]));

export function logConfigDef(topicConfigName: string): LogConfigDef | undefined {
  return BY_NAME.get(topicConfigName);
}

export type ConfigSource = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

function lookup(src: ConfigSource | undefined, name: string): string | undefined {
  if (src === undefined) return undefined;
  if (src instanceof Map) return src.get(name);
  return Object.prototype.hasOwnProperty.call(src, name) ? (src as Record<string, string>)[name] : undefined;
}

function parseValue(def: LogConfigDef, raw: string, scale: number, where: string): LogConfig[keyof LogConfig] {
  const v = raw.trim();
  if (def.kind === 'string') {
    if (def.values && !def.values.includes(v)) throw new LogError('INVALID_CONFIG', `${where}: '${v}' is not one of ${def.values.join(', ')}`);
    return v as FlushMode;
  }
  if (def.kind === 'list') {
    const items = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
    for (const it of items) if (def.values && !def.values.includes(it)) throw new LogError('INVALID_CONFIG', `${where}: '${it}' is not one of ${def.values.join(', ')}`);
    return items;
  }
  if (!/^-?\d+$/.test(v)) throw new LogError('INVALID_CONFIG', `${where}: '${v}' is not an integer`);
  const n = Number(v) * scale;
  if (def.min !== undefined && n < def.min) throw new LogError('INVALID_CONFIG', `${where}: ${v} is below the minimum ${def.min}`);
  if (def.kind === 'int' && n > 0x7fffffff) throw new LogError('INVALID_CONFIG', `${where}: ${v} does not fit an int`);
  return n;
}

/** The broker-level defaults for every log (broker settings over Kafka's defaults). */
export function brokerLogDefaults(broker?: ConfigSource): Record<string, string> {
  const out: Record<string, string> = {};
  for (const def of LOG_CONFIG_DEFS) {
    let value = def.default;
    for (const b of def.broker) {
      const raw = lookup(broker, b.name);
      if (raw !== undefined) {
        value = b.scale === 1 ? raw.trim() : String(Number(raw.trim()) * b.scale);
        break;
      }
    }
    out[def.name] = value;
  }
  return out;
}

/**
 * Effective config of one log. `broker` holds broker settings by their broker
 * names (log.segment.bytes, ...); `topic` holds topic overrides by topic names.
 * Throws LogError INVALID_CONFIG on a bad value or an unknown topic config.
 */
export function resolveLogConfig(broker?: ConfigSource, topic?: ConfigSource): LogConfig {
  const out: Partial<Record<keyof LogConfig, unknown>> = {};
  for (const def of LOG_CONFIG_DEFS) {
    const t = lookup(topic, def.name);
    if (t !== undefined) {
      out[def.key] = parseValue(def, t, 1, def.name);
      continue;
    }
    let done = false;
    for (const b of def.broker) {
      const raw = lookup(broker, b.name);
      if (raw !== undefined) {
        out[def.key] = parseValue(def, raw, b.scale, b.name);
        done = true;
        break;
      }
    }
    if (!done) out[def.key] = parseValue(def, def.default, 1, def.name);
  }
  return out as unknown as LogConfig;
}

/**
 * Checks topic-level overrides (CreateTopics, AlterConfigs). Configs storage does
 * not know are accepted and kept as given only when `allowUnknown` says so (the
 * broker's config table knows the full Kafka set).
 */
export function validateTopicConfigs(topic: ConfigSource, allowUnknown: (name: string) => boolean = () => true): void {
  const entries = topic instanceof Map ? [...topic.entries()] : Object.entries(topic);
  for (const [name, value] of entries) {
    const def = BY_NAME.get(name);
    if (def === undefined) {
      if (!allowUnknown(name)) throw new LogError('INVALID_CONFIG', `unknown topic config ${name}`);
      continue;
    }
    parseValue(def, value, 1, name);
  }
}
