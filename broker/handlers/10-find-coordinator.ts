// FindCoordinator (key 10), versions 0-6.
// The coordinator of a group (key type 0) is the node leading partition
// abs(javaHash(key)) % offsets.topic.num.partitions of __consumer_offsets (the
// first lookup creates the topic, as Kafka does); that of a transactional id (key
// type 1) the node leading its partition of __transaction_state
// (transaction.state.log.num.partitions): while that topic does not exist, the
// node the cluster's round-robin rule would make its leader. Any node answers
// the same. A partition without a live leader, or led by a node without the
// listener the request came in on: COORDINATOR_NOT_AVAILABLE.
// v0-v3 look up one key (v0 has no key type: group); v4+ look up a batch of
// CoordinatorKeys, each with its own error. As in Kafka:
// - a key type other than 0, 1 or 2 fails the whole request with INVALID_REQUEST
//   (v0-v3: the top-level error, node -1; v4+: every key, with an error message);
// - key type 2 (share coordinator) is INVALID_REQUEST too: below v6 always, and at
//   v6 because this broker runs no share coordinator (v4+: per key, no message);
// - an empty key is a valid key (Kafka hashes it like any other);
// - v1-v3 answers carry the error message "NONE" on success (Kafka sends the
//   error's name when there is no exception text).
// The transaction coordinator found is served (broker/transactions/).
// Authorization: DESCRIBE on the group (else GROUP_AUTHORIZATION_FAILED) or the
// transactional id (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED), as Kafka.
import { FindCoordinatorApi } from '../../protocol/messages/10-find-coordinator.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, ResourceType, authorized } from '../security/authorize.js';
import { defineHandler } from '../registry.js';
import type { RequestContext } from '../context.js';
import { endpointFor } from '../cluster.js';
import { offsetsPartitionFor } from '../offsets/records.js';

const TRANSACTION_STATE_TOPIC = '__transaction_state';

const GROUP = 0;
const TRANSACTION = 1;
const SHARE = 2;

const NO_NODE = { nodeId: -1, host: '', port: -1 } as const;

/** The live node leading the key's partition of the coordinator's internal topic. */
/** Below v4 the error message is Kafka's Errors.message() of the code. */
const V0_MESSAGES = new Map<number, string>([
  [ErrorCode.NONE, 'NONE'],
  [ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.'],
  [ErrorCode.GROUP_AUTHORIZATION_FAILED, 'Group authorization failed.'],
  [ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'Transactional Id authorization failed.'],
]);

async function coordinatorOf(ctx: RequestContext, keyType: number, key: string): Promise<{ errorCode: number; nodeId: number; host: string; port: number }> {
  const { cluster, config, groups } = ctx.broker;
  if (keyType === GROUP && !authorized(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, key)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, ...NO_NODE };
  if (keyType === TRANSACTION && !authorized(ctx, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, key)) return { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, ...NO_NODE };
  let leaderId: number;
  if (keyType === GROUP) {
    leaderId = await groups.coordinatorNode(key);
  } else {
    const partitions = cluster.topic(TRANSACTION_STATE_TOPIC)?.partitions.length ?? config.values['transaction.state.log.num.partitions'];
    leaderId = cluster.leaderFor(TRANSACTION_STATE_TOPIC, offsetsPartitionFor(key, partitions));
  }
  const node = cluster.isLive(leaderId) ? cluster.node(leaderId) : undefined;
  // A coordinator without the client's listener is not available to it (Kafka's getAliveBrokerNode).
  const endpoint = node && endpointFor(node, ctx.broker.listener);
  if (!endpoint) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, ...NO_NODE };
  return { errorCode: ErrorCode.NONE, nodeId: endpoint.nodeId, host: endpoint.host, port: endpoint.port };
}

export const findCoordinatorHandler = defineHandler({
  api: FindCoordinatorApi,
  minVersion: 0,
  maxVersion: 6,
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    const keyType = req.keyType;
    const known = keyType === GROUP || keyType === TRANSACTION || keyType === SHARE;

    if (v < 4) {
      if (!known) {
        return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown coordinator key type ${keyType}.`, ...NO_NODE };
      }
      if (keyType === SHARE) {
        return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'No share coordinator runs on this broker.', ...NO_NODE };
      }
      const found = await coordinatorOf(ctx, keyType, req.key);
      return { ...found, errorMessage: V0_MESSAGES.get(found.errorCode) ?? null };
    }

    if (!known) {
      const errorMessage = `Unknown coordinator key type ${keyType}.`;
      return { coordinators: req.coordinatorKeys.map((key) => ({ key, errorCode: ErrorCode.INVALID_REQUEST, errorMessage, ...NO_NODE })) };
    }
    return {
      coordinators: await Promise.all(
        req.coordinatorKeys.map(async (key) => (keyType === SHARE ? { key, errorCode: ErrorCode.INVALID_REQUEST, ...NO_NODE } : { key, ...(await coordinatorOf(ctx, keyType, key)) })),
      ),
    };
  },
});
