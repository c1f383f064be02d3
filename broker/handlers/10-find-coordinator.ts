// FindCoordinator (key 10), versions 0-6.
// This broker is the coordinator of every group (key type 0) and every
// transactional id (key type 1), so a known key type always answers this node.
// v0-v3 look up one key (v0 has no key type: group); v4+ look up a batch of
// CoordinatorKeys, each with its own error. As in Kafka:
// - a key type other than 0, 1 or 2 fails the whole request with INVALID_REQUEST
//   (v0-v3: the top-level error, node -1; v4+: every key, with an error message);
// - key type 2 (share coordinator) is INVALID_REQUEST too: below v6 always, and at
//   v6 because this broker runs no share coordinator (v4+: per key, no message);
// - an empty key is a valid key (Kafka hashes it like any other);
// - v1-v3 answers carry the error message "NONE" on success (Kafka sends the
//   error's name when there is no exception text).
// Not done: authorization; Kafka's first lookup creates __consumer_offsets /
// __transaction_state and answers COORDINATOR_NOT_AVAILABLE until it exists, where
// this broker's coordinators are always ready.
import { FindCoordinatorApi } from '../../protocol/messages/10-find-coordinator.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from '../registry.js';

const GROUP = 0;
const TRANSACTION = 1;
const SHARE = 2;

const NO_NODE = { nodeId: -1, host: '', port: -1 } as const;

export const findCoordinatorHandler = defineHandler({
  api: FindCoordinatorApi,
  minVersion: 0,
  maxVersion: 6,
  handle(ctx, req) {
    const { cluster } = ctx.broker;
    const v = ctx.apiVersion;
    const self = ctx.node;
    const node = { nodeId: self.nodeId, host: self.host, port: self.port };
    const keyType = req.keyType;
    const known = keyType === GROUP || keyType === TRANSACTION || keyType === SHARE;

    if (v < 4) {
      if (!known) {
        return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown coordinator key type ${keyType}.`, ...NO_NODE };
      }
      if (keyType === SHARE) {
        return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'No share coordinator runs on this broker.', ...NO_NODE };
      }
      return { errorCode: ErrorCode.NONE, errorMessage: 'NONE', ...node };
    }

    if (!known) {
      const errorMessage = `Unknown coordinator key type ${keyType}.`;
      return { coordinators: req.coordinatorKeys.map((key) => ({ key, errorCode: ErrorCode.INVALID_REQUEST, errorMessage, ...NO_NODE })) };
    }
    return {
      coordinators: req.coordinatorKeys.map((key) =>
        keyType === SHARE ? { key, errorCode: ErrorCode.INVALID_REQUEST, ...NO_NODE } : { key, errorCode: ErrorCode.NONE, ...node },
      ),
    };
  },
});
