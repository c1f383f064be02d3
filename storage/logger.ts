// Storage logs through the pino logger its owner passes in; this is the
// default when none is given (tests, tools).

import { pino, type Logger } from 'pino';

export type { Logger };

export const silentLogger: Logger = pino({ level: 'silent' });

/** The clock storage needs (the same shape as broker/clock.ts, so either can be passed). */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): { cancel(): void };
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    // Node turns setTimeout(0) into at least 1 ms; a deadline already due (an
    // initial rebalance delay of 0, say) runs on the next turn instead. Not
    // unref'd: an unref'd immediate does not keep the event loop from blocking
    // for I/O, so one queued from an immediate waited for the next socket event
    // or timer (seconds on an idle broker); a ref'd one holds the loop one turn.
    if (ms <= 0) {
      const i = setImmediate(fn);
      return { cancel: () => clearImmediate(i) };
    }
    const t = setTimeout(fn, ms);
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};
