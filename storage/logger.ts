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
    // initial rebalance delay of 0, say) runs on the next turn instead.
    if (ms <= 0) {
      const i = setImmediate(fn);
      i.unref?.();
      return { cancel: () => clearImmediate(i) };
    }
    const t = setTimeout(fn, ms);
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};
