// DescribeLogDirs (key 35), versions 0-4.
// The one data directory (as an absolute path) with the partitions the
// receiving node leads in it: their size in bytes and, as Kafka, an offset lag
// of max(high watermark - log end offset, 0), which is 0 for a leader.
// A null topic list means every partition; named topics and partitions the node
// does not lead are left out (Kafka does not error on them). v4 adds the volume's
// total and usable bytes (statfs), -1 in memory as Kafka's unknown volume.
// Not done: several log dirs per node, future (moving) replicas.
// Authorization: DESCRIBE on the cluster (else no log dirs; v3+ CLUSTER_AUTHORIZATION_FAILED).
import { resolve } from 'node:path';
import { DescribeLogDirsApi } from '../../protocol/messages/35-describe-log-dirs.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, clusterAuthorized } from '../security/authorize.js';
import { defineHandler } from '../registry.js';
import { storageFailure } from '../storage-errors.js';

export const describeLogDirsHandler = defineHandler({
  api: DescribeLogDirsApi,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req) {
    const { cluster, logs } = ctx.broker;
    // Kafka: without DESCRIBE on the cluster, no log dirs (and from v3 the error).
    if (!clusterAuthorized(ctx, AclOperation.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ctx.apiVersion >= 3 ? ErrorCode.CLUSTER_AUTHORIZATION_FAILED : ErrorCode.NONE, results: [] };
    const wanted = req.topics === null ? null : new Map(req.topics.map((t) => [t.topic, new Set(t.partitions)]));
    const topics = [];
    for (const t of cluster.topics()) {
      const want = wanted ? wanted.get(t.name) : undefined;
      if (wanted && !want) continue;
      const partitions = [];
      for (const p of t.partitions) {
        if (p.leaderId !== ctx.node.nodeId || (want && !want.has(p.index))) continue;
        const log = logs.logOf(t.id, p.index);
        if (!log) continue;
        partitions.push({
          partitionIndex: p.index,
          partitionSize: BigInt(log.size),
          offsetLag: BigInt(Math.max(log.highWatermark - log.logEndOffset, 0)),
          isFutureKey: false,
        });
      }
      if (partitions.length > 0) topics.push({ name: t.name, partitions });
    }
    let errorCode: number = ErrorCode.NONE;
    let volume: { totalBytes: number; usableBytes: number } | null = null;
    if (ctx.apiVersion >= 4) {
      try {
        volume = await logs.volume();
      } catch (err) {
        errorCode = storageFailure(err, ctx, 'reading the data directory\'s volume').errorCode;
      }
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      results: [{
        errorCode,
        logDir: resolve(logs.dataDir),
        topics: errorCode === ErrorCode.NONE ? topics : [],
        ...(ctx.apiVersion >= 4 ? { totalBytes: BigInt(volume?.totalBytes ?? -1), usableBytes: BigInt(volume?.usableBytes ?? -1) } : {}),
      }],
    };
  },
});
