// storage/: the log-segment store (see ../../shared/DESIGN.md, `storage/`).
// Domain types only; the protocol layer and the handlers translate.
//
//   LogManager      the data directory: partition logs by topic id, checkpoints, recovery
//   PartitionLog    one partition: append, read, ListOffsets, DeleteRecords,
//                   retention; its parts under log/ (segments, loader, writer,
//                   flusher, tail cache, producer snapshots)
//   ProducerStateManager  idempotent and transactional producer rules (Kafka's)
//   control-batch / txn-index  transaction markers and the aborted-transaction index
//   FileSystem      RealFileSystem (node:fs) / MemoryFileSystem (test double,
//                   fault injection, crash simulation)

export { LogError, isLogError, type StorageErrorName } from './errors.js';
export { DataDirLockedError, LOCK_FILE, type LockHolder } from './dir-lock.js';
export { type FileSystem, type FileHandle, type FileLock, type OpenMode, type FileStat, writeFileAtomic, mkdirDurable } from './fs.js';
export { RealFileSystem } from './fs-real.js';
export { MemoryFileSystem, type FaultSpec, type MemoryFileSystemOptions, type MemoryFsStats } from './fs-memory.js';
export type { FlushMode, LogConfig, LogConfigResolver, TimestampType } from './log-config.js';
export {
  AppendResult,
  PartitionLog,
  type AppendOptions,
  type LogState,
  type PartitionLogOptions,
  type ReadResult,
  type TimestampOffset,
} from './partition-log.js';
export {
  NUM_BATCHES_TO_RETAIN,
  ProducerStateEntry,
  ProducerStateManager,
  type AppendOrigin,
  type BatchMetadata,
  type CompletedTxn,
} from './producer-state.js';
export { CLEAN_SHUTDOWN_FILE, LogManager, type LogManagerOptions, type TopicLogs } from './log-manager.js';
export { type Decompressor } from './batch.js';
export { validateProducedRecords, type ValidateOptions } from './validator.js';
export { buildTxnMarkerBatch, readEndTxnMarker, CONTROL_TYPE_ABORT, CONTROL_TYPE_COMMIT, type TxnMarker, type EndTxnMarker } from './control-batch.js';
export { ABORTED_TXN_SIZE, type AbortedTxn } from './txn-index.js';
export { type Clock, systemClock } from './logger.js';
