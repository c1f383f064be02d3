// kafkalite/testing: the test double's API in one import (it ships with the
// package: it is what application test suites use).
export { startBroker, startCluster, type BrokerOptions, type ClusterOptions, type RunningBroker, type RunningCluster } from '../broker/broker.js';
export { ManualClock, systemClock, type Clock } from '../broker/clock.js';
export { MemoryFileSystem, type FaultSpec } from '../storage/fs-memory.js';
export { Fault, FaultInjector, type FaultMatch, type FaultKind } from '../broker/faults/faults.js';
export { RequestLog, type RequestLogEntry } from '../broker/faults/request-log.js';
export type { ResetResult } from '../broker/double/reset.js';
export type { GroupAssignment, MemberAssignment, CommittedOffset, StoredRecord } from '../broker/double/readiness.js';
export { TEST_DOUBLE_CONFIG } from '../broker/double/defaults.js';
export { DEFAULT_WAIT_MS } from '../broker/double/wait.js';
export { ErrorCode } from '../protocol/errors.js';
export type { BrokerMetrics, MetricsSnapshot } from '../broker/metrics/metrics.js';
export {
  vitestGlobalSetup,
  jestGlobalSetup,
  jestGlobalTeardown,
  resetSharedBroker,
  CONTROL_ENV,
  type GlobalSetupOptions,
} from './global-setup.js';
