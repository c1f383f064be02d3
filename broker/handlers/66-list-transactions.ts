// ListTransactions (key 66), versions 0-1.
// The transactional ids this node coordinates, filtered by state name (names
// Kafka does not know are echoed in unknownStateFilters), by producer id, and
// (v1) by now - start time >= DurationFilter ms (as Kafka, an id with no open
// transaction has start time -1 and passes); an empty filter
// passes all. COORDINATOR_LOAD_IN_PROGRESS while a shard loads.
// Authorization: only the transactional ids the principal may DESCRIBE, as Kafka.
import { ListTransactionsApi } from '../../protocol/messages/66-list-transactions.js';
import { AclOperation, ResourceType, visible } from '../security/authorize.js';
import { defineHandler } from '../registry.js';
import { TXN_STATES } from '../transactions/state.js';

export const listTransactionsHandler = defineHandler({
  api: ListTransactionsApi,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, req) {
    const { errorCode, transactions } = ctx.broker.transactions.list(ctx.node.nodeId);
    const known = new Set<string>(TXN_STATES);
    const states = new Set(req.stateFilters);
    const pids = new Set(req.producerIdFilters);
    const now = ctx.broker.clock.now();
    const minOpenMs = ctx.apiVersion >= 1 && req.durationFilter >= 0n ? Number(req.durationFilter) : -1;
    return {
      errorCode,
      unknownStateFilters: req.stateFilters.filter((s) => !known.has(s)),
      transactionStates: transactions
        .filter((m) => (states.size === 0 || states.has(m.state)) && (pids.size === 0 || pids.has(m.producerId)))
        .filter((m) => minOpenMs < 0 || now - m.startMs >= minOpenMs)
        .filter((m) => visible(ctx, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, m.transactionalId))
        .map((m) => ({ transactionalId: m.transactionalId, producerId: m.producerId, transactionState: m.state })),
    };
  },
});
