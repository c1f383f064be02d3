// The test double's deliberate differences from Kafka's defaults: startBroker()
// applies them unless told `testDefaults: false` (the CLI keeps Kafka's). A
// config the caller names explicitly always wins.

/**
 * group.initial.rebalance.delay.ms=0: Kafka waits 3 s for more members before a
 * new group's first rebalance; a test would pay those 3 s for every group it starts.
 */
export const TEST_DOUBLE_CONFIG: Readonly<Record<string, string>> = {
  'group.initial.rebalance.delay.ms': '0',
};
