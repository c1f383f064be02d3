// The group coordinator (classic and consumer protocols) and committed offsets.
//   coordinator.ts               driver: clock, timers, promises, persistence hook, log, history
//   group-coordinator-state.ts   the pure machine over all groups and offsets: step(event, now)
//   classic-group.ts             one classic group: Kafka's states, join/sync/heartbeat/leave
//   consumer-group.ts            one consumer group (KIP-848) as data changed only by records; reconciliation
//   consumer-heartbeat.ts        ConsumerGroupHeartbeat: validation, membership, epochs, targets, timers
//   consumer-assignors.ts        server-side assignors: uniform, range
//   consumer-rebalances.ts       consumer-group rebalance history (moved partitions, per-partition pause)
//   consumer-types.ts            consumer-group requests/answers, records, topic metadata view
//   offset-store.ts              committed offsets index
//   types.ts                     domain requests/answers, records, timers, config
//   testing.ts                   builders and helpers for tests and benchmarks

export { GroupCoordinator, type GroupCoordinatorOptions } from './coordinator.js';
export { GroupCoordinatorState, type CoordinatorEvent, type GroupCoordinatorStateOptions } from './group-coordinator-state.js';
export { ClassicGroup, CONSUMER_PROTOCOL_TYPE, IllegalStateTransition, type GroupSnapshot } from './classic-group.js';
export { OffsetStore } from './offset-store.js';
export { ConsumerGroup, type ConsumerMember } from './consumer-group.js';
export type { ConsumerRebalanceSummary } from './consumer-rebalances.js';
export * from './consumer-types.js';
export * from './types.js';
