// InitProducerId (key 22), versions 0-5.
// A null transactional id gets a fresh producer id (unique across restarts) and
// epoch 0, whatever id and epoch the request carries, as Kafka does; its
// transaction timeout is not checked.
// A transactional id goes to its transaction coordinator (broker/transactions/):
// a new id gets a fresh producer id at epoch 0, a known one its epoch bumped
// (a new producer id once the epoch is exhausted); an open transaction is
// fenced (aborted at epoch + 1) and answered CONCURRENT_TRANSACTIONS so the
// client retries; v3+ may name the current producer id and epoch (KIP-360).
// Timeout <= 0 or above transaction.max.timeout.ms: INVALID_TRANSACTION_TIMEOUT.
// PRODUCER_FENCED is INVALID_PRODUCER_EPOCH below v4, TRANSACTION_ABORTABLE
// INVALID_TXN_STATE below v5.
// Authorization as Kafka: WRITE on the transactional id (else
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED); without one, IDEMPOTENT_WRITE on the
// cluster or WRITE on some topic (else CLUSTER_AUTHORIZATION_FAILED).
import { InitProducerIdApi } from '../../protocol/messages/22-init-producer-id.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, ResourceType, authorized, authorizedByResourceType, clusterAuthorized } from '../security/authorize.js';
import { defineHandler } from '../registry.js';
import { storageFailure } from '../storage-errors.js';
import { downgradeTxnError } from '../transactions/errors.js';

const FAILED = { producerId: -1n, producerEpoch: -1 } as const;

export const initProducerIdHandler = defineHandler({
  api: InitProducerIdApi,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req) {
    try {
      if (req.transactionalId === null) {
        if (!clusterAuthorized(ctx, AclOperation.IDEMPOTENT_WRITE) && !authorizedByResourceType(ctx, AclOperation.WRITE, ResourceType.TOPIC)) {
          return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, ...FAILED };
        }
        const producerId = await ctx.broker.producerIds.nextId();
        return { errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 };
      }
      if (!authorized(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)) return { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, ...FAILED };
      const given = ctx.apiVersion >= 3 ? { producerId: req.producerId, producerEpoch: req.producerEpoch } : { producerId: -1n, producerEpoch: -1 };
      const step = await ctx.broker.transactions.initProducerId(ctx.node.nodeId, { transactionalId: req.transactionalId, timeoutMs: req.transactionTimeoutMs, ...given });
      const errorCode = downgradeTxnError(step.errorCode, ctx.apiVersion, { fencedFrom: 4, abortableFrom: 5 });
      if (errorCode !== ErrorCode.NONE) return { errorCode, ...FAILED };
      return { errorCode, producerId: step.producerId!, producerEpoch: step.producerEpoch! };
    } catch (err) {
      return { errorCode: storageFailure(err, ctx, 'reserving producer ids').errorCode, ...FAILED };
    }
  },
});
