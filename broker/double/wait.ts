// How long the test double's wait helpers wait by default: below the 5 s default
// test timeout of vitest and jest, so a wait that cannot succeed fails with its
// own message (what it waited for, what it saw) instead of the runner's timeout.
export const DEFAULT_WAIT_MS = 4_000;
