// The one table of served APIs. It drives dispatch and the ApiVersions answer, so
// the two can never disagree.
import type { ApiCodec, EncodeInput } from '../protocol/codec-runtime.js';
import type { RequestContext } from './context.js';

/** Returned by a handler that must send nothing back (Produce with acks=0). */
export const NO_RESPONSE: unique symbol = Symbol('no response');
export type NoResponse = typeof NO_RESPONSE;

/**
 * Returned by a handler that must close the connection instead of answering
 * (Produce with acks=0 that failed: the client would otherwise never learn).
 */
export class CloseConnection {
  constructor(readonly reason: string) {}
}

export type HandlerResult<Res> = EncodeInput<Res> | NoResponse | CloseConnection;

export interface Handler<Req = any, Res = any> {
  readonly api: ApiCodec<Req, Res>;
  /** The versions this broker serves, within the codec's range. */
  readonly minVersion: number;
  readonly maxVersion: number;
  handle(ctx: RequestContext, request: Req): HandlerResult<Res> | Promise<HandlerResult<Res>>;
}

export function defineHandler<Req, Res>(h: Handler<Req, Res>): Handler<Req, Res> {
  if (h.minVersion < h.api.minVersion || h.maxVersion > h.api.maxVersion || h.minVersion > h.maxVersion) {
    throw new Error(`${h.api.name}: served versions ${h.minVersion}-${h.maxVersion} outside ${h.api.minVersion}-${h.api.maxVersion}`);
  }
  return h;
}

export class HandlerRegistry {
  private readonly byKey: (Handler | undefined)[] = [];

  constructor(handlers: readonly Handler[]) {
    for (const h of handlers) {
      if (this.byKey[h.api.apiKey]) throw new Error(`two handlers for API key ${h.api.apiKey}`);
      this.byKey[h.api.apiKey] = h;
    }
  }

  get(apiKey: number): Handler | undefined {
    return apiKey >= 0 ? this.byKey[apiKey] : undefined;
  }

  /** What ApiVersions advertises: exactly what dispatch serves. */
  served(): { apiKey: number; minVersion: number; maxVersion: number }[] {
    return this.byKey
      .filter((h): h is Handler => h !== undefined)
      .map((h) => ({ apiKey: h.api.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }));
  }
}

/** Whether `version` of an API uses the flexible (compact, tagged) encoding. */
export function isFlexible(api: ApiCodec<unknown, unknown>, version: number): boolean {
  return api.firstFlexibleVersion >= 0 && version >= api.firstFlexibleVersion;
}
