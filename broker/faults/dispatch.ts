// The test double's one call site in the connection: every request passes here on
// its way to its handler, so the request log sees it (and its answer) and the
// injected faults can delay, hold, fail or drop it.
import type { Handler, HandlerResult } from '../registry.js';
import { CloseConnection, NO_RESPONSE } from '../registry.js';
import type { RequestContext } from '../context.js';
import { errorResponse } from './error-responses.js';
import { awaitFaultWaits, type FaultInjector, type FaultPlan } from './faults.js';
import type { RequestLog, RequestLogEntry } from './request-log.js';
import type { ProduceRequest } from '../../protocol/messages/00-produce.js';
import { PARTITION_SCOPES, type TopicPartitionRef } from './scopes.js';

type Result = HandlerResult<unknown> | Promise<HandlerResult<unknown>>;

/** How the connection hands a decoded request to its handler. */
export type Dispatch = (handler: Handler, ctx: RequestContext, request: unknown) => Result;

export function testDoubleDispatch(faults: FaultInjector, log: RequestLog): Dispatch {
  return (handler, ctx, request) => {
    const node = ctx.broker.node.nodeId;
    // With no fault armed (every request of a broker not under test) nothing is built for the plan.
    const topicName = faults.idle ? null : (id: string) => ctx.broker.cluster.topicById(id)?.name;
    const plan = topicName === null ? null : faults.plan({ apiKey: ctx.apiKey, version: ctx.apiVersion, node, clientId: ctx.clientId, request, topicName });
    const entry = log.enabled
      ? log.record({
          apiKey: ctx.apiKey,
          api: handler.api.name,
          version: ctx.apiVersion,
          correlationId: ctx.correlationId,
          clientId: ctx.clientId,
          connection: ctx.connectionId,
          node,
          receivedAt: Date.now(),
          respondedAt: null,
          request: withoutSecrets(ctx.apiKey, request),
          response: null,
          faultId: plan?.faultId ?? null,
        })
      : undefined;
    const result = plan === null ? handler.handle(ctx, request) : withFaults(plan, handler, ctx, request, topicName!);
    if (entry === undefined) return result;
    if (result instanceof Promise) return result.then((res) => answered(log, entry, res));
    return answered(log, entry, result);
  };
}

/**
 * The log keeps no credentials: SASL tokens (a PLAIN password) and SCRAM salted passwords are emptied.
 * Nor does it keep the frame's bytes: a Produce request's records may lie in a pooled buffer that is
 * reused once the request is answered (broker/frame-pool.ts), so the log keeps a copy.
 */
function withoutSecrets(apiKey: number, request: unknown): unknown {
  if (apiKey === 36) return { ...(request as object), authBytes: Buffer.alloc(0) };
  if (apiKey === 0) {
    const r = request as ProduceRequest;
    return { ...r, topicData: r.topicData.map((t) => ({ ...t, partitionData: t.partitionData.map((p) => ({ ...p, records: Buffer.isBuffer(p.records) ? Buffer.from(p.records) : p.records })) })) };
  }
  if (apiKey === 51) {
    const r = request as { upsertions: object[] };
    return { ...r, upsertions: r.upsertions.map((u) => ({ ...u, saltedPassword: Buffer.alloc(0) })) };
  }
  return request;
}

function answered(log: RequestLog, entry: RequestLogEntry, res: HandlerResult<unknown>): HandlerResult<unknown> {
  if (res !== NO_RESPONSE && !(res instanceof CloseConnection)) {
    entry.response = res;
    entry.respondedAt = Date.now();
    log.responded(entry);
  }
  return res;
}

async function withFaults(
  plan: FaultPlan,
  handler: Handler,
  ctx: RequestContext,
  request: unknown,
  topicName: (id: string) => string | undefined,
): Promise<HandlerResult<unknown>> {
  await awaitFaultWaits(plan.waits, ctx.broker.clock);
  if (plan.disconnect) return new CloseConnection(`${plan.disconnect.describe()}: connection dropped`);
  // Kafka closes the connection on a failed acks=0 produce: nothing else tells the producer.
  const silent = ctx.apiKey === 0 && (request as { acks: number }).acks === 0;
  if (plan.error) {
    return silent
      ? new CloseConnection(`${plan.error.fault.describe()}: acks=0 produce failed`)
      : errorResponse(ctx.apiKey, request, ctx.apiVersion, plan.error.code);
  }
  const errors = plan.partitionErrors;
  if (errors === undefined) return handler.handle(ctx, request);
  const scope = PARTITION_SCOPES.get(ctx.apiKey)!;
  const faulted = (tp: TopicPartitionRef) => errors.some((e) => e.topic === tp.topic && e.partition === tp.partition);
  const rest = scope.without(request, ctx.apiVersion, faulted, topicName);
  const served =
    scope.partitions(rest, ctx.apiVersion, topicName).length > 0
      ? await handler.handle(ctx, rest)
      : errorResponse(ctx.apiKey, rest, ctx.apiVersion, 0);
  if (silent) return served instanceof CloseConnection ? served : new CloseConnection(`${errors[0].fault.describe()}: acks=0 produce failed`);
  if (served === NO_RESPONSE || served instanceof CloseConnection) return served;
  return scope.withErrors(served, ctx.apiVersion, errors) as HandlerResult<unknown>;
}
