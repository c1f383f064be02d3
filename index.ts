// kafkalite as a library: start a broker, or several nodes, inside a process (a test run, a dev server).
export { startBroker, startCluster, type BrokerOptions, type ClusterOptions, type RunningBroker, type RunningCluster } from './broker/broker.js';
export { ManualClock, systemClock, type Clock } from './broker/clock.js';
export { MemoryFileSystem, type FaultSpec } from './storage/fs-memory.js';
export { DataDirLockedError } from './storage/dir-lock.js';
export { BrokerMetrics, type MetricsSnapshot } from './broker/metrics/metrics.js';
export { metricsRequestListener } from './broker/metrics/http.js';
