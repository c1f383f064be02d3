// kafkalite as a library: start a broker inside a process (a test run, a dev server).
export { startBroker, type BrokerOptions, type RunningBroker } from './broker/broker.js';
export { ManualClock, systemClock, type Clock } from './broker/clock.js';
export { MemoryFileSystem, type FaultSpec } from './storage/fs-memory.js';
export { DataDirLockedError } from './storage/dir-lock.js';
