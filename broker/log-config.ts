// The storage layer's LogConfig, resolved from the one config table.
import { LONG_MAX, resolveTopicConfig, type BrokerConfig, type TopicConfigValues } from './config.js';
import type { LogConfig } from '../storage/log-config.js';

function orDifference(bound: number, v: TopicConfigValues): number {
  return bound >= LONG_MAX ? v['message.timestamp.difference.max.ms'] : bound;
}

export function logConfigFromTopic(v: TopicConfigValues, flushMode: BrokerConfig['flushMode']): LogConfig {
  return {
    segmentBytes: v['segment.bytes'],
    segmentMs: v['segment.ms'],
    segmentJitterMs: v['segment.jitter.ms'],
    segmentIndexBytes: v['segment.index.bytes'],
    indexIntervalBytes: v['index.interval.bytes'],
    flushMessages: v['flush.messages'],
    flushMs: v['flush.ms'],
    flushMode,
    retentionMs: v['retention.ms'],
    retentionBytes: v['retention.bytes'],
    maxMessageBytes: v['max.message.bytes'],
    messageTimestampType: v['message.timestamp.type'] as LogConfig['messageTimestampType'],
    // Kafka 3.6-3.9: the deprecated difference stands in for a bound left at Long.MAX_VALUE.
    messageTimestampBeforeMaxMs: orDifference(v['message.timestamp.before.max.ms'], v),
    messageTimestampAfterMaxMs: orDifference(v['message.timestamp.after.max.ms'], v),
    messageDownConversionEnable: v['message.downconversion.enable'],
    cleanupPolicy: v['cleanup.policy'],
    compressionType: v['compression.type'] as LogConfig['compressionType'],
    compressionGzipLevel: v['compression.gzip.level'],
    compressionZstdLevel: v['compression.zstd.level'],
    minInsyncReplicas: v['min.insync.replicas'],
    deleteRetentionMs: v['delete.retention.ms'],
    minCleanableDirtyRatio: v['min.cleanable.dirty.ratio'],
    minCompactionLagMs: v['min.compaction.lag.ms'],
    maxCompactionLagMs: v['max.compaction.lag.ms'],
    fileDeleteDelayMs: v['file.delete.delay.ms'],
  };
}

export function logConfigResolver(broker: BrokerConfig): (overrides: Readonly<Record<string, string>>) => LogConfig {
  return (overrides) => logConfigFromTopic(resolveTopicConfig(broker, overrides), broker.flushMode);
}
