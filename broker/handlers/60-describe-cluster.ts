// DescribeCluster (key 60), versions 0-1.
// The live nodes that have the listener the request came in on, with their address there, the
// controller (the live node with the lowest id, as Metadata says) and the
// cluster id. v1's endpoint type: a broker serves BROKER (1); CONTROLLER (2) is
// MISMATCHED_ENDPOINT_TYPE and anything else UNSUPPORTED_ENDPOINT_TYPE, with
// Kafka's messages. Authorized operations, when asked for: those the authorizer
// allows on the cluster (no check of its own, as Kafka).
import { DescribeClusterApi } from '../../protocol/messages/60-describe-cluster.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ResourceType, authorizedOperations } from '../security/authorize.js';
import { CLUSTER_NAME } from '../security/acl.js';
import { defineHandler } from '../registry.js';
import { endpointFor } from '../cluster.js';
import { CLUSTER_OPERATIONS, NOT_REQUESTED } from '../acl-operations.js';

const BROKER_ENDPOINT = 1;
const CONTROLLER_ENDPOINT = 2;

export const describeClusterHandler = defineHandler({
  api: DescribeClusterApi,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req) {
    const { cluster } = ctx.broker;
    const failed = (errorCode: number, errorMessage: string) => ({
      throttleTimeMs: 0, errorCode, errorMessage, clusterId: '', controllerId: -1, brokers: [], clusterAuthorizedOperations: NOT_REQUESTED,
    });
    if (req.endpointType === CONTROLLER_ENDPOINT) {
      return failed(ErrorCode.MISMATCHED_ENDPOINT_TYPE, 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER');
    }
    if (req.endpointType !== BROKER_ENDPOINT) return failed(ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, `Unsupported endpoint type ${req.endpointType}`);
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType: BROKER_ENDPOINT,
      clusterId: cluster.clusterId,
      controllerId: cluster.controllerId,
      brokers: cluster.nodes.flatMap((n) => {
        const e = endpointFor(n, ctx.broker.listener);
        return e === undefined ? [] : [{ brokerId: e.nodeId, host: e.host, port: e.port, rack: e.rack }];
      }),
      clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? authorizedOperations(ctx, CLUSTER_OPERATIONS, ResourceType.CLUSTER, CLUSTER_NAME) : NOT_REQUESTED,
    };
  },
});
