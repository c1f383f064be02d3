// The one way kafkalite makes a pino logger: human-readable lines when stdout is
// a terminal, JSON lines (pino's own format) otherwise, so `kafkalite start` reads
// well in a shell and pipes cleanly into log tooling.
//
// Pretty output goes through pino-pretty as an in-process synchronous stream
// rather than a worker-thread transport: a dev broker logs little, and this way
// the last lines before exit (shutdown messages, a fatal error) are never lost
// and no extra thread is started inside test runs.
//
// pino-pretty is an optional dependency loaded only when pretty lines are wanted,
// so a library user (or a broker logging JSON) never loads it.

import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** Minimum level; default 'info'. 'silent' disables logging. */
  readonly level?: Level | 'silent';
  /** Pretty lines instead of JSON; default: whether stdout is a TTY. */
  readonly pretty?: boolean;
  /** Logger name, printed in every line. */
  readonly name?: string;
  /** Where lines go; default stdout. */
  readonly destination?: DestinationStream | NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const usePretty = options.pretty ?? process.stdout.isTTY === true;
  const base = { level, ...(options.name !== undefined ? { name: options.name } : {}) };

  const pretty = usePretty ? loadPinoPretty() : undefined;
  if (pretty !== undefined) {
    const stream = pretty({
      sync: true,
      colorize: options.destination === undefined ? process.stdout.isTTY === true : false,
      singleLine: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      ...(options.destination !== undefined ? { destination: options.destination } : {}),
    });
    return pino(base, stream);
  }
  const destination = options.destination ?? pino.destination({ dest: 1, sync: true });
  return pino(base, destination as DestinationStream);
}

/** pino-pretty when installed; without it (an optional dependency) lines stay JSON. */
function loadPinoPretty(): typeof PinoPretty | undefined {
  try {
    return createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  } catch {
    return undefined;
  }
}
