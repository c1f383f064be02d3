// Kafka's AclOperation codes, as bit sets for the "authorized operations" fields:
// every operation of a resource type; the authorizer keeps those a principal may
// do (security/authorize.ts authorizedOperations).

const READ = 3, WRITE = 4, CREATE = 5, DELETE = 6, ALTER = 7, DESCRIBE = 8;
const CLUSTER_ACTION = 9, DESCRIBE_CONFIGS = 10, ALTER_CONFIGS = 11, IDEMPOTENT_WRITE = 12;

const bits = (...ops: number[]) => ops.reduce((acc, op) => acc | (1 << op), 0);

/** The value Kafka sends when the client did not ask for authorized operations. */
export const NOT_REQUESTED = -2147483648;
export const TOPIC_OPERATIONS = bits(READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS);
export const CLUSTER_OPERATIONS = bits(CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE);
export const GROUP_OPERATIONS = bits(READ, DELETE, DESCRIBE);
