// Kafka's per-version downgrades of the transaction errors (KafkaApis): a client
// that predates PRODUCER_FENCED gets INVALID_PRODUCER_EPOCH, one that predates
// TRANSACTION_ABORTABLE gets INVALID_TXN_STATE.
import { ErrorCode } from '../../protocol/errors.js';

export interface ErrorVersions {
  /** First version that knows PRODUCER_FENCED. */
  readonly fencedFrom: number;
  /** First version that knows TRANSACTION_ABORTABLE. */
  readonly abortableFrom: number;
}

export function downgradeTxnError(code: number, version: number, v: ErrorVersions): number {
  if (code === ErrorCode.PRODUCER_FENCED && version < v.fencedFrom) return ErrorCode.INVALID_PRODUCER_EPOCH;
  if (code === ErrorCode.TRANSACTION_ABORTABLE && version < v.abortableFrom) return ErrorCode.INVALID_TXN_STATE;
  return code;
}
