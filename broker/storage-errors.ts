// A failure of the storage layer in a handler other than Produce/Fetch becomes
// an error code in that part of the answer (as DESIGN.md asks), never a closed
// connection: the log error's own code when it has one, else KAFKA_STORAGE_ERROR.
import type { Logger } from 'pino';
import { ErrorCode } from '../protocol/errors.js';
import { isLogError } from '../storage/errors.js';

export function storageFailure(err: unknown, logger: Logger, what: string): { errorCode: number; errorMessage: string } {
  if (isLogError(err)) return { errorCode: ErrorCode[err.code], errorMessage: err.message };
  logger.error({ err }, `${what} failed in storage`);
  return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, errorMessage: `${what} failed: ${(err as Error)?.message ?? String(err)}` };
}
