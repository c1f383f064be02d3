// Errors the client raises, in three kinds a caller (the CLI) can tell apart:
// KafkaError (the broker answered with a Kafka error code), ConnectionError
// (the broker could not be reached, the connection broke or a request timed
// out) and ProtocolError (the broker's bytes could not be understood).
import { errorName, ErrorCode, isRetriable } from '../protocol/errors.js';

/** The broker answered with a Kafka error code other than NONE. */
export class KafkaError extends Error {
  override name = 'KafkaError';
  readonly errorName: string;
  readonly retriable: boolean;

  /** `context` says what failed ("create topic t"), `detail` is the broker's error message if any. */
  constructor(
    readonly code: number,
    context: string,
    detail?: string | null,
  ) {
    const name = errorName(code);
    super(`${context}: ${name}${detail ? ` (${detail})` : ''}`);
    this.errorName = name;
    this.retriable = isRetriable(code);
  }
}

/** The broker does not serve an API (or no version both sides support). */
export class UnsupportedApiError extends KafkaError {
  override name = 'UnsupportedApiError';
  constructor(apiName: string, apiKey: number, detail: string) {
    super(ErrorCode.UNSUPPORTED_VERSION, `${apiName} (API key ${apiKey})`, detail);
  }
}

/** Cannot connect, connection lost, or no answer in time. */
export class ConnectionError extends Error {
  override name = 'ConnectionError';
}

/** The broker's answer could not be decoded or makes no sense. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

/** Throws a KafkaError unless `code` is NONE. */
export function throwIfError(code: number, context: string, detail?: string | null): void {
  if (code !== ErrorCode.NONE) throw new KafkaError(code, context, detail);
}
