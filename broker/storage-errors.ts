// A failure of the storage layer in a handler other than Produce/Fetch becomes
// an error code in that part of the answer (as DESIGN.md asks), never a closed
// connection: the log error's own code when it has one, else KAFKA_STORAGE_ERROR.
import type { Logger } from 'pino';
import { ErrorCode } from '../protocol/errors.js';
import { isLogError } from '../storage/errors.js';
import type { RateLimitedLog } from './rate-limited-log.js';

export function storageFailure(err: unknown, ctx: { logger: Logger; broker: { rateLimitedLog: RateLimitedLog } }, what: string): { errorCode: number; errorMessage: string } {
  if (isLogError(err)) return { errorCode: ErrorCode[err.code], errorMessage: err.message };
  // A failing disk fails every request alike: one line per interval, with a count.
  ctx.broker.rateLimitedLog.log(ctx.logger, 'error', `storage: ${what.replace(/ \S+$/, '')}: ${(err as NodeJS.ErrnoException)?.code ?? 'error'}`, { err }, `${what} failed in storage`);
  return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, errorMessage: `${what} failed: ${(err as Error)?.message ?? String(err)}` };
}
