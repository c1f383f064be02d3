// The group coordinator (classic protocol) and committed offsets.
//   coordinator.ts               driver: clock, timers, promises, persistence hook, log, history
//   group-coordinator-state.ts   the pure machine over all groups and offsets: step(event, now)
//   classic-group.ts             one classic group: Kafka's states, join/sync/heartbeat/leave
//   offset-store.ts              committed offsets index
//   types.ts                     domain requests/answers, records, timers, config
//   testing.ts                   builders and helpers for tests and benchmarks

export { GroupCoordinator, type GroupCoordinatorOptions } from './coordinator.js';
export { GroupCoordinatorState, type CoordinatorEvent, type GroupCoordinatorStateOptions } from './group-coordinator-state.js';
export { ClassicGroup, CONSUMER_PROTOCOL_TYPE, IllegalStateTransition, type GroupSnapshot } from './classic-group.js';
export { OffsetStore } from './offset-store.js';
export * from './types.js';
