// EndTxn (key 26), versions 0-4.
// Commits or aborts the open transaction: the coordinator logs
// PrepareCommit/PrepareAbort, answers once that record is durable (as Kafka
// does), then writes a marker to every partition of the transaction and logs
// CompleteCommit/CompleteAbort; until then the id's next calls get
// CONCURRENT_TRANSACTIONS. A retried EndTxn of a completed transaction gets NONE,
// the opposite outcome INVALID_TXN_STATE, as does an EndTxn with no transaction.
// PRODUCER_FENCED is INVALID_PRODUCER_EPOCH below v2, TRANSACTION_ABORTABLE
// INVALID_TXN_STATE below v4.
// Authorization: WRITE on the transactional id, else
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED, as Kafka.
// Not done: v5 (KIP-890 part 2's epoch bump per transaction).
import { EndTxnApi } from '../../protocol/messages/26-end-txn.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, ResourceType, authorized } from '../security/authorize.js';
import { defineHandler } from '../registry.js';
import { downgradeTxnError } from '../transactions/errors.js';

export const endTxnHandler = defineHandler({
  api: EndTxnApi,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req) {
    if (!authorized(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)) return { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    const code = await ctx.broker.transactions.endTxn(ctx.node.nodeId, req.transactionalId, req.producerId, req.producerEpoch, req.committed);
    return { errorCode: downgradeTxnError(code, ctx.apiVersion, { fencedFrom: 2, abortableFrom: 4 }) };
  },
});
