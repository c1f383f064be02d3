// The settings one log runs with, already resolved. Names, defaults, ranges and
// precedence (topic override > broker setting > Kafka default) live in the
// broker's one config table (broker/config/table.ts); storage only applies the values.
//
// flushMode is kafkalite's `log.flush.mode`:
//   interval:     Kafka's behaviour: fsync when flush.messages or flush.ms say
//                 so (by default never: the OS writes back, recovery repairs),
//                 on segment roll, and at shutdown.
//   group-commit: fsync continuously, at most one fsync in flight per log;
//                 every append written before an fsync starts is covered by it;
//                 a Produce with acks=-1 is answered only once an fsync covers
//                 its batch, and consumers (high watermark) see only fsynced
//                 data. acks=1 never waits for an fsync.

export type FlushMode = 'interval' | 'group-commit';
export type TimestampType = 'CreateTime' | 'LogAppendTime';
export type CompressionType = 'producer' | 'uncompressed' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

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
  /** message.timestamp.before.max.ms / after.max.ms: how far CreateTime may lie behind or ahead of now. */
  messageTimestampBeforeMaxMs: number;
  messageTimestampAfterMaxMs: number;
  cleanupPolicy: readonly string[];
  /** compression.type: 'producer' keeps the producer's codec, any other recompresses into it. */
  compressionType: CompressionType;
  /** compression.gzip.level / compression.zstd.level, used when recompressing. */
  compressionGzipLevel: number;
  compressionZstdLevel: number;
  /** message.downconversion.enable: Fetch v0-v3 may read this log (down-converted). */
  messageDownConversionEnable: boolean;
  /** delete.retention.ms: how long the cleaner keeps a tombstone (and an empty transaction's marker) after the round that first kept it. */
  deleteRetentionMs: number;
  /** min.cleanable.dirty.ratio: a compacted log is cleaned once its dirty share of bytes exceeds this. */
  minCleanableDirtyRatio: number;
  /** min.compaction.lag.ms / max.compaction.lag.ms: how long a record stays uncompacted at least / at most. */
  minCompactionLagMs: number;
  maxCompactionLagMs: number;
  /** file.delete.delay.ms: how long the files of segments replaced by the cleaner stay (readers may hold them). */
  fileDeleteDelayMs: number;
  /** min.insync.replicas: above 1 an acks=all produce is refused (one replica per partition). */
  minInsyncReplicas: number;
}

/** A topic's effective log config from its overrides (by topic config names). */
/** A topic's log config from its overrides, on the node `leaderId` (the broker's when omitted or -1). */
export type LogConfigResolver = (topicOverrides: Readonly<Record<string, string>>, leaderId?: number) => LogConfig;
