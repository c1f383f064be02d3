// The faults on the transaction coordinator's own WriteTxnMarkers requests (one
// per partition leader after EndTxn, a fence or a timeout): Kafka's coordinator
// sends them over the network to the leaders, so a fault on WriteTxnMarkers
// acts on them as on a client's. `hold` and `delay` reproduce Kafka's
// asynchronous window between EndTxn's answer and its markers (the next
// AddPartitionsToTxn gets CONCURRENT_TRANSACTIONS); `failNext` answers every
// partition of the request with its code and the coordinator retries or skips
// as Kafka's does; `disconnectOn` loses the request, which is retried. The
// request's client id is Kafka's: broker-<coordinator node>-txn-marker-sender.
import { ErrorCode } from '../../protocol/errors.js';
import type { Clock } from '../clock.js';
import type { MarkerRequest } from '../transactions/markers.js';
import { partitionsByTopic } from '../transactions/records.js';
import { awaitFaultWaits, type FaultInjector } from './faults.js';

const WRITE_TXN_MARKERS = 27;
const VERSION = 1;

export function markerRequestFaults(faults: FaultInjector, clock: Clock, topicName: (id: string) => string | undefined) {
  return async (req: MarkerRequest): Promise<number> => {
    if (faults.size === 0) return ErrorCode.NONE;
    const { job } = req;
    const request = {
      markers: [
        {
          producerId: job.producerId,
          producerEpoch: job.producerEpoch,
          transactionResult: job.commit,
          coordinatorEpoch: req.coordinatorEpoch,
          topics: partitionsByTopic(req.partitions).map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
        },
      ],
    };
    const clientId = `broker-${req.coordinator}-txn-marker-sender`;
    const plan = faults.plan({ apiKey: WRITE_TXN_MARKERS, version: VERSION, node: req.leader, clientId, request, topicName });
    if (plan === null) return ErrorCode.NONE;
    await awaitFaultWaits(plan.waits, clock);
    if (plan.disconnect) return ErrorCode.NETWORK_EXCEPTION;
    return plan.error?.code ?? ErrorCode.NONE;
  };
}
