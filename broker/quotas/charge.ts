// Charging a request to its client's quotas, and throttling it (KIP-219: the
// answer carries throttle_time_ms and leaves at once, then the connection is
// muted for that time). The client is the connection's principal (User:ANONYMOUS
// on PLAINTEXT) and the request header's client id.
//
// request_percentage: the time a request kept the broker busy, as Kafka's
// ClientRequestQuotaManager counts it (a percentage of one second: 10 ms of
// handler time is 1). Kafka measures request-handler thread time; here it is the
// handler's synchronous run, which is when it holds the event loop (waits for
// acks or for data are not work). Exempt, as in Kafka: inter-broker requests
// (WriteTxnMarkers) and requests with no answer (acks=0 produce).
import { WriteTxnMarkersApi } from '../../protocol/messages/27-write-txn-markers.js';
import type { RequestContext } from '../context.js';
import { quotaUserOf, type ClientQuotaManager } from './client-quota-manager.js';
import type { MutationQuota } from './controller-mutation-quota.js';

const EXEMPT = new Set([WriteTxnMarkersApi.apiKey]);

/** The quota user and client id of the request. */
export function clientOf(ctx: RequestContext): [user: string, clientId: string] {
  return [quotaUserOf(ctx.security.principal), ctx.clientId ?? ''];
}

/** Records `value` for the request's client; over the quota, mutes the connection. Returns the throttle time (0: none). */
export function chargeClient(ctx: RequestContext, manager: ClientQuotaManager, value: number): number {
  if (!manager.enabled) return 0;
  const throttleMs = manager.recordAndGetThrottleTimeMs(...clientOf(ctx), value, ctx.broker.clock.now());
  ctx.throttle(throttleMs);
  return throttleMs;
}

/** Whether the request's handler time is charged (a request quota is set, the API is not exempt): only then is it timed. */
export function chargesRequestTime(ctx: RequestContext): boolean {
  return !EXEMPT.has(ctx.apiKey) && ctx.broker.quotas.request.enabled;
}

/** Charges `handlerMs` to the request's client; `response` (the handler's answer) gets the throttle time. */
export function chargeRequestTime(ctx: RequestContext, handlerMs: number, response: object): void {
  if (EXEMPT.has(ctx.apiKey)) return;
  const throttleMs = chargeClient(ctx, ctx.broker.quotas.request, handlerMs / 10);
  if (throttleMs <= 0) return;
  // Versions without the field drop it (it is ignorable in every spec that has it).
  const r = response as { throttleTimeMs?: number };
  r.throttleTimeMs = Math.max(r.throttleTimeMs ?? 0, throttleMs);
}

/** The request's controller_mutation_rate quota: strict from `strictSinceVersion` on, as Kafka's newQuotaFor. */
export function mutationQuotaOf(ctx: RequestContext, strictSinceVersion: number): MutationQuota {
  return ctx.broker.quotas.controllerMutation.forRequest(...clientOf(ctx), ctx.apiVersion >= strictSinceVersion);
}

/** Mutes the connection for the request's mutation throttle; returns the time for the answer's throttle_time_ms. */
export function throttleMutations(ctx: RequestContext, quota: MutationQuota): number {
  const throttleMs = quota.throttleTimeMs();
  ctx.throttle(throttleMs);
  return throttleMs;
}
