// InitProducerId (key 22), versions 0-5, for idempotent producers.
// A null transactional id gets a fresh producer id (unique across restarts) and
// epoch 0, whatever id and epoch the request carries, as Kafka does.
// Not done: transactions. A non-null transactional id is refused with
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED, which clients report at once instead
// of retrying forever.
import { InitProducerIdApi } from '../../protocol/messages/22-init-producer-id.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from '../registry.js';
import { storageFailure } from '../storage-errors.js';

export const initProducerIdHandler = defineHandler({
  api: InitProducerIdApi,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req) {
    if (req.transactionalId !== null) {
      return { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 };
    }
    try {
      const producerId = await ctx.broker.producerIds.nextId();
      return { errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 };
    } catch (err) {
      return { errorCode: storageFailure(err, ctx, 'reserving producer ids').errorCode, producerId: -1n, producerEpoch: -1 };
    }
  },
});
