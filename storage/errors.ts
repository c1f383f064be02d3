// Errors that storage reports to its callers. A `LogError` carries the name of
// the Kafka error the handler should answer with (the names match
// protocol/errors.ts); anything else thrown out of storage is a bug or an I/O
// failure, which handlers answer with KAFKA_STORAGE_ERROR.

/** The Kafka error names storage can produce (a subset of protocol/errors.ts). */
export type StorageErrorName =
  | 'OFFSET_OUT_OF_RANGE'
  | 'CORRUPT_MESSAGE'
  | 'INVALID_RECORD'
  | 'MESSAGE_TOO_LARGE'
  | 'RECORD_LIST_TOO_LARGE'
  | 'OUT_OF_ORDER_SEQUENCE_NUMBER'
  | 'INVALID_PRODUCER_EPOCH'
  | 'INVALID_TXN_STATE'
  | 'TRANSACTION_COORDINATOR_FENCED'
  | 'KAFKA_STORAGE_ERROR'
  | 'UNSUPPORTED_COMPRESSION_TYPE'
  | 'INVALID_TIMESTAMP';

export class LogError extends Error {
  override readonly name = 'LogError';
  constructor(
    readonly code: StorageErrorName,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
  }
}

export function isLogError(e: unknown, code?: StorageErrorName): e is LogError {
  return e instanceof LogError && (code === undefined || e.code === code);
}

/** An I/O failure (failed write, fsync, ...) turned into the error the client sees. */
export function storageError(message: string, cause: unknown): LogError {
  return new LogError('KAFKA_STORAGE_ERROR', message, { cause });
}
