// One client connection: 4-byte size frames, the request header, dispatch through
// the registry, and responses written strictly in request order even when
// handlers finish out of order. A malformed frame or a handler bug closes this
// one connection with a log line; the broker keeps serving everyone else.
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { Reader, DecodeError } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import { readRequestHeader } from '../protocol/messages/data/request-header.js';
import { writeResponseHeader } from '../protocol/messages/data/response-header.js';
import { API_NAMES } from '../protocol/messages/api-names.js';
import { ApiVersionsApi } from '../protocol/messages/18-api-versions.js';
import { ProduceApi } from '../protocol/messages/00-produce.js';
import { ErrorCode } from '../protocol/errors.js';
import type { BrokerContext } from './context.js';
import { NO_RESPONSE, CloseConnection, isFlexible, type Handler, type HandlerResult } from './registry.js';
import type { RequestBudget } from './request-budget.js';
import { errorResponse } from './faults/error-responses.js';
import type { ConnectionSecurity } from './security/connection-security.js';
import { chargeRequestTime, chargesRequestTime } from './quotas/charge.js';
import { InFlight, type Answer, type RequestOwner } from './in-flight.js';
import { framePool, MAX_POOLED_FRAME } from './frame-pool.js';

/**
 * A connection is read only while it holds few requests, as Kafka mutes a channel
 * until its request is answered; a small pipeline (clients send up to 5) keeps
 * throughput. Past either bound, or with more response bytes unsent than
 * MAX_UNSENT_BYTES, the socket is paused until the connection drains.
 */
const MAX_PENDING_REQUESTS = 16;
const MAX_PENDING_BYTES = 16 * 1024 * 1024;
const MAX_UNSENT_BYTES = 64 * 1024;
/**
 * Requests one connection may start per event-loop turn. Answers complete in
 * microtasks, which would otherwise read the next request before any other
 * socket is polled: a client with thousands buffered would starve the rest.
 */
const MAX_REQUESTS_PER_TURN = 4;

let nextConnectionId = 1;

/** A Writer for a response frame: it starts with room for the size, which `framed` fills in. */
function frameWriter(): Writer {
  return new Writer().int32(0);
}

/** An answer built outside a request's path (SASL raw tokens, the ApiVersions fallback). */
function bareAnswer(parts: Buffer[], version: number): Answer {
  return { done: true, parts, meter: null, version, requestBytes: 0, receivedAt: 0 };
}

/** The frame's parts (one buffer for most answers, so one plain write). */
function framed(w: Writer): Buffer[] {
  const parts = w.toBuffers();
  parts[0]!.writeInt32BE(w.length - 4, 0);
  return parts;
}

export class Connection implements RequestOwner {
  readonly id = nextConnectionId++;
  readonly remote: string;
  readonly log: Logger;
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Size of the frame being received (its budget is reserved), or -1 between frames. */
  private frameSize = -1;
  /** Requests read and not yet written (answered or not), in request order. */
  private answers: Answer[] = [];
  /** Requests read and not yet started: each starts once the one before released the order. */
  private waiting: InFlight[] = [];
  /** The started request that still holds the order, and whether the next start is queued. */
  private orderHolder: InFlight | null = null;
  private startQueued = false;
  private readonly startNext = () => this.start();
  /** Requests reserved (size prefix read) and not yet answered, and their bytes. */
  private pending = 0;
  private pendingBytes = 0;
  /** Of those, what still counts against the broker-wide budget (a parked request no longer does). */
  private budgeted = 0;
  private budgetedBytes = 0;
  /** We closed it (bad input, handler failure, shutdown): nothing more is handled. */
  private aborted = false;
  /** The peer closed or half-closed: what it sent is still handled, answers are dropped. */
  private peerGone = false;
  private socketClosed = false;
  private finished = false;
  private paused = false;
  private corked = false;
  /** A delayed close is pending (failed SASL authentication). */
  private closing = false;
  /** Requests started in this event-loop turn, and whether the next turn is scheduled. */
  private startedThisTurn = 0;
  private nextTurn: NodeJS.Immediate | undefined;
  private readonly budget: RequestBudget;
  private readonly onBudget = () => this.pump();
  /** Muted for a quota violation until this time (broker clock), the timer that unmutes it. */
  private throttledUntil = 0;
  private throttleTimer: { cancel(): void } | undefined;
  private readonly uncork = () => {
    this.corked = false;
    this.socket.uncork();
  };

  constructor(
    private readonly socket: Socket,
    private readonly broker: BrokerContext,
    private readonly onClose: (c: Connection) => void,
    readonly security: ConnectionSecurity,
  ) {
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.log = broker.logger.child({ conn: this.id, remote: this.remote });
    this.budget = broker.requestBudget;
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', (err) => this.log.debug({ err }, 'socket error'));
    socket.on('end', () => {
      this.peerGone = true;
      this.pump();
    });
    socket.on('close', () => {
      this.peerGone = true;
      this.socketClosed = true;
      this.pump();
    });
    socket.on('drain', () => this.pump());
    const idleMs = broker.config.values['connections.max.idle.ms'];
    if (idleMs > 0) {
      socket.setTimeout(idleMs, () => {
        if (this.pending === 0) this.close(`idle for ${idleMs} ms (connections.max.idle.ms)`, 'debug');
      });
    }
  }

  close(reason: string, level: 'warn' | 'debug' | 'error' = 'warn'): void {
    if (this.aborted) return;
    // Many connections closed for the same reason make one line per interval.
    this.broker.rateLimitedLog.log(this.log, level, `close: ${reason}`, { reason }, 'closing connection');
    this.abort();
  }

  private abort(): void {
    this.aborted = true;
    this.socket.destroy();
    this.pump();
  }

  private onData(chunk: Buffer): void {
    if (this.aborted) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.pump();
  }

  /**
   * Turns buffered bytes into requests while the bounds allow, then reads from
   * the socket only if that is what progress waits for. Called on every event
   * that can change the answer: data, a request answered, drain, budget room, close.
   */
  private pump(): void {
    if (this.finished) return;
    if (this.aborted) return this.finish();
    while (!this.aborted) {
      if (this.frameSize < 0) {
        if (this.buffered < 4) break;
        const size = this.peekInt32();
        const sasl = this.security.sasl;
        // Before SASL authentication only small frames are read (Kafka's sasl.server.max.receive.size).
        const preAuth = sasl !== null && !sasl.authenticated;
        const max = preAuth ? sasl.maxReceiveSize : this.broker.config.values['socket.request.max.bytes'];
        if (size < 0 || size > max) {
          this.close(`request size ${size} is outside 0..${max} (${preAuth ? 'sasl.server.max.receive.size, before authentication' : 'socket.request.max.bytes'})`);
          return;
        }
        if (!this.mayReserve()) break;
        if (this.startedThisTurn >= MAX_REQUESTS_PER_TURN) {
          this.nextTurn ??= setImmediate(() => {
            this.nextTurn = undefined;
            this.startedThisTurn = 0;
            this.pump();
          });
          break;
        }
        this.startedThisTurn++;
        this.take(4);
        this.frameSize = size;
        this.pending++;
        this.pendingBytes += size;
        this.budgeted++;
        this.budgetedBytes += size;
        this.budget.acquire(size);
      }
      if (this.buffered < this.frameSize) break;
      const size = this.frameSize;
      const loan = this.lendsFrame(size) ? framePool.take(size) : null;
      const frame = this.take(size, loan);
      this.frameSize = -1;
      this.onFrame(frame, size, loan);
    }
    if (this.aborted) return this.finish();
    // Bytes are wanted while a reserved frame is incomplete, or between frames when another may be reserved.
    const wantBytes = !this.peerGone && this.nextTurn === undefined && (this.frameSize >= 0 || this.mayReserve());
    if (wantBytes && this.paused) {
      this.paused = false;
      this.socket.resume();
    } else if (!wantBytes && !this.paused && !this.peerGone) {
      this.paused = true;
      this.socket.pause();
    }
    // Gone for good: finish once every whole request it sent is answered. A frame still reserved here is
    // incomplete and never will be; finish() returns its reservation.
    const incomplete = this.frameSize >= 0 ? 1 : 0;
    if (this.socketClosed && this.pending === incomplete && !this.frameBuffered()) this.finish();
  }

  /** A whole frame (size prefix not yet read) waits in the buffer, held back by a bound. */
  private frameBuffered(): boolean {
    return this.frameSize < 0 && this.buffered >= 4 && this.buffered >= 4 + this.peekInt32();
  }

  /** May the next request be read? Not while throttled; per connection (a small pipeline), then broker-wide (the budget). */
  private mayReserve(): boolean {
    if (this.throttleTimer !== undefined && !this.peerGone) return false;
    if (this.pending >= MAX_PENDING_REQUESTS || (this.pending > 0 && this.pendingBytes >= MAX_PENDING_BYTES)) return false;
    if (!this.peerGone && this.socket.writableLength > MAX_UNSENT_BYTES) return false;
    if (this.budget.available) return true;
    this.budget.wait(this.onBudget);
    return false;
  }

  /** Returns a request's reservation once it is answered (or will never be); `budgeted` false when it was parked. */
  private release(size: number, budgeted = true): void {
    if (this.finished) return;
    this.pending--;
    this.pendingBytes -= size;
    if (budgeted) this.leaveBudget(size);
  }

  /** A request stops counting against the broker-wide budget (answered, or parked: see RequestContext.parked). */
  leaveBudget(size: number): void {
    if (this.finished) return;
    this.budgeted--;
    this.budgetedBytes -= size;
    this.budget.release(1, size);
  }

  /** Drops everything the connection holds; what is left of its reservations goes back to the budget. */
  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.socketClosed) this.socket.destroy();
    this.budget.cancel(this.onBudget);
    if (this.nextTurn) clearImmediate(this.nextTurn);
    this.throttleTimer?.cancel();
    this.budget.release(this.budgeted, this.budgetedBytes);
    this.pending = 0;
    this.pendingBytes = 0;
    this.budgeted = 0;
    this.budgetedBytes = 0;
    this.chunks = [];
    this.buffered = 0;
    this.answers = [];
    this.waiting = [];
    this.orderHolder = null;
    this.onClose(this);
  }

  private peekInt32(): number {
    const first = this.chunks[0];
    if (first.length >= 4) return first.readInt32BE(0);
    return Buffer.concat(this.chunks, 4).readInt32BE(0);
  }

  /**
   * Whether the buffered frame of `size` bytes is joined into a pooled buffer
   * (broker/frame-pool.ts): a Produce request split across reads, small enough
   * that the log copies its batches.
   */
  private lendsFrame(size: number): boolean {
    if (size < 2 || size > MAX_POOLED_FRAME || this.chunks[0]!.length >= size || this.security.sasl?.expectsRawToken) return false;
    const first = this.chunks[0]!;
    const apiKey = first.length >= 2 ? first.readInt16BE(0) : Buffer.concat(this.chunks, 2).readInt16BE(0);
    return apiKey === ProduceApi.apiKey;
  }

  /** Removes n buffered bytes; a slice when they sit in one chunk, else one copy (into `into` when given). */
  private take(n: number, into: Buffer | null = null): Buffer {
    this.buffered -= n;
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0];
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = into !== null ? into.subarray(0, n) : Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0];
      const k = Math.min(c.length, n - filled);
      c.copy(out, filled, 0, k);
      filled += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    return out;
  }

  /** `loan`: the pooled buffer holding the frame, given back once its request is answered. */
  private onFrame(frame: Buffer, size: number, loan: Buffer | null): void {
    const receivedAt = performance.now();
    const sasl = this.security.sasl;
    if (sasl?.expectsRawToken) {
      this.rawSaslToken(frame, size);
      return;
    }
    if (frame.length < 8) {
      this.close(`request of ${frame.length} bytes is too short for a request header`);
      return;
    }
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    const handler = this.broker.registry.get(apiKey);
    if (!handler) {
      const known = API_NAMES[apiKey];
      this.close(`unsupported API key ${apiKey}${known !== undefined ? ` (${known})` : ''}`);
      return;
    }
    if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      if (apiKey === ApiVersionsApi.apiKey) {
        this.release(size);
        this.unsupportedApiVersions(correlationId, apiVersion);
        return;
      }
      this.close(`unsupported version ${apiVersion} of ${handler.api.name} (served ${handler.minVersion}-${handler.maxVersion})`);
      return;
    }
    // After the version check: an ApiVersions answered UNSUPPORTED_VERSION does not count as the one allowed before SASL.
    let illegalSaslState: string | null = null;
    if (sasl) {
      const admission = sasl.admit(apiKey, API_NAMES[apiKey] ?? `key ${apiKey}`);
      if (admission.kind === 'close') {
        if (admission.delayed) this.closeAfterDelay(admission.reason);
        else this.close(admission.reason);
        return;
      }
      if (admission.kind === 'illegal-state') illegalSaslState = admission.reason;
    }
    const flexible = isFlexible(handler.api, apiVersion);
    let request: unknown;
    let clientId: string | null;
    try {
      const r = new Reader(frame);
      clientId = readRequestHeader(r, flexible ? 2 : 1).clientId;
      request = handler.api.request.read(r, apiVersion);
    } catch (err) {
      if (err instanceof DecodeError) {
        this.close(`malformed ${handler.api.name} v${apiVersion} request: ${err.message}`);
        return;
      }
      throw err;
    }
    const req = new InFlight(this, this.broker, handler, apiKey, apiVersion, correlationId, clientId, request, size, receivedAt, illegalSaslState);
    req.frameLoan = loan;
    this.answers.push(req);
    this.waiting.push(req);
    this.queueStart();
  }

  /**
   * Requests on a connection run one after another (RequestContext.releaseOrder):
   * the next starts in a microtask once no started request holds the order.
   */
  private queueStart(): void {
    if (this.startQueued || this.orderHolder !== null || this.waiting.length === 0) return;
    this.startQueued = true;
    queueMicrotask(this.startNext);
  }

  orderReleased(req: InFlight): void {
    if (this.orderHolder !== req) return;
    this.orderHolder = null;
    this.queueStart();
  }

  private start(): void {
    this.startQueued = false;
    if (this.aborted || this.finished) return;
    const req = this.waiting.shift();
    if (req === undefined) return;
    this.orderHolder = req;
    if (req.illegalSaslState !== null) {
      // Kafka answers a request out of place in the SASL exchange with its own error response, then closes.
      req.releaseOrder();
      this.security.sasl!.closeReason = req.illegalSaslState;
      this.complete(req, errorResponse(req.apiKey, req.request, req.apiVersion, ErrorCode.ILLEGAL_SASL_STATE));
      return;
    }
    // The handler's synchronous run is what request_percentage quotas charge; timed only while one is set.
    const timed = chargesRequestTime(req);
    const started = timed ? performance.now() : 0;
    let result: HandlerResult<unknown> | Promise<HandlerResult<unknown>>;
    try {
      result = this.broker.dispatch ? this.broker.dispatch(req.handler, req, req.request) : req.handler.handle(req, req.request);
    } catch (err) {
      req.releaseOrder();
      this.onHandlerError(req.handler, req.apiVersion, err);
      return;
    }
    const handlerMs = timed ? performance.now() - started : -1;
    if (result instanceof Promise) {
      void this.settle(req, result, handlerMs);
      return;
    }
    req.releaseOrder();
    this.answered(req, result, handlerMs);
  }

  private async settle(req: InFlight, result: Promise<HandlerResult<unknown>>, handlerMs: number): Promise<void> {
    let res: HandlerResult<unknown>;
    try {
      res = await result;
    } catch (err) {
      req.releaseOrder();
      this.onHandlerError(req.handler, req.apiVersion, err);
      return;
    }
    req.releaseOrder();
    this.answered(req, res, handlerMs);
  }

  /** A handler's answer: charged to the client's request quota (handlerMs < 0: no quota set), then queued. */
  private answered(req: InFlight, res: HandlerResult<unknown>, handlerMs: number): void {
    if (handlerMs >= 0 && res !== NO_RESPONSE && typeof res === 'object' && res !== null && !(res instanceof CloseConnection)) chargeRequestTime(req, handlerMs, res);
    this.complete(req, res);
  }

  /**
   * Mutes the connection for a quota violation (Kafka's throttled channel): the
   * answer being built still leaves at once, then no further request is read
   * until `ms` have passed on the broker's clock.
   */
  throttle(ms: number): void {
    if (ms <= 0 || this.finished) return;
    const until = this.broker.clock.now() + ms;
    if (until <= this.throttledUntil) return;
    this.throttledUntil = until;
    this.throttleTimer?.cancel();
    this.throttleTimer = this.broker.clock.setTimeout(() => {
      this.throttleTimer = undefined;
      this.pump();
    }, ms);
  }

  private onHandlerError(handler: Handler, version: number, err: unknown): void {
    this.broker.rateLimitedLog.log(this.log, 'error', `handler failed: ${handler.api.name}`, { err, api: handler.api.name, version }, 'handler failed');
    this.close(`${handler.api.name} v${version} handler failed`, 'error');
  }

  private complete(req: InFlight, res: unknown): void {
    if (this.aborted) return;
    const handler = req.handler;
    const version = req.apiVersion;
    this.release(req.requestSize, req.leaveBudgetOnce());
    if (res instanceof CloseConnection) {
      this.close(res.reason);
      return;
    }
    req.meter = this.broker.metrics.api(handler.api.apiKey);
    // The peer is gone: the request has had its effect, its answer has no one to go to.
    if (res !== NO_RESPONSE && !this.peerGone) {
      const w = frameWriter();
      try {
        // ApiVersions answers always use header v0, so a client can read them before it knows our versions.
        const headerVersion = handler.api.apiKey !== ApiVersionsApi.apiKey && isFlexible(handler.api, version) ? 1 : 0;
        writeResponseHeader(w, { correlationId: req.correlationId }, headerVersion);
        handler.api.response.write(w, res as never, version);
      } catch (err) {
        this.onHandlerError(handler, version, err);
        return;
      }
      req.parts = framed(w);
    }
    // Answered: the handler is done with the request's bytes (broker/frame-pool.ts).
    if (req.frameLoan !== null) {
      framePool.give(req.frameLoan);
      req.frameLoan = null;
    }
    req.done = true;
    this.flush();
    const closeReason = this.security.sasl?.closeReason;
    if (closeReason) this.closeAfterDelay(closeReason);
    this.pump();
  }

  /**
   * Closes once the answers already queued are written and the failed-authentication
   * delay has passed (Kafka's connection.failed.authentication.delay.ms); nothing more is read.
   */
  private closeAfterDelay(reason: string): void {
    if (this.aborted || this.closing) return;
    this.closing = true;
    this.peerGone = true; // read nothing more, answer nothing more
    this.socket.pause();
    const delayMs = this.security.sasl?.failedAuthDelayMs ?? 0;
    // Logged now: the peer may well close first.
    this.broker.rateLimitedLog.log(this.log, 'warn', `close: ${reason}`, { reason, delayMs }, 'closing connection after the failed-authentication delay');
    const timer = setTimeout(() => {
      if (!this.aborted) this.abort();
    }, delayMs);
    timer.unref();
    this.socket.once('close', () => clearTimeout(timer));
  }

  /** A bare token after a v0 SaslHandshake: answered with a bare frame, or the connection closes. */
  private rawSaslToken(token: Buffer, size: number): void {
    const sasl = this.security.sasl!;
    this.release(size);
    const reply = sasl.rawToken(token);
    if (reply === null) {
      this.closeAfterDelay(sasl.closeReason ?? 'SASL authentication failed');
      return;
    }
    this.answers.push(bareAnswer(framed(frameWriter().raw(reply)), 0));
    this.flush();
  }

  private unsupportedApiVersions(correlationId: number, requested: number): void {
    const h = this.broker.registry.get(ApiVersionsApi.apiKey) as Handler;
    this.log.debug({ requested }, 'unsupported ApiVersions version; answering with v0');
    const w = frameWriter();
    writeResponseHeader(w, { correlationId }, 0);
    ApiVersionsApi.response.write(
      w,
      {
        errorCode: ErrorCode.UNSUPPORTED_VERSION,
        apiKeys: [{ apiKey: ApiVersionsApi.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }],
      },
      0,
    );
    this.answers.push(bareAnswer(framed(w), requested));
    this.flush();
  }

  private flush(): void {
    const answers = this.answers;
    while (answers.length > 0 && answers[0]!.done) {
      const a = answers.shift()!;
      const parts = a.parts;
      if (parts === null || this.peerGone) {
        a.meter?.record(a.version, a.requestBytes, 0, performance.now() - a.receivedAt);
        continue;
      }
      // Responses completed before the uncork in this event-loop turn's check phase leave in one
      // vectored write: answers to requests read while polling share a syscall with those the
      // check phase's next-turn pump (MAX_REQUESTS_PER_TURN) starts before it.
      if (!this.corked) {
        this.corked = true;
        this.socket.cork();
        setImmediate(this.uncork);
      }
      let size = -4;
      for (const p of parts) {
        size += p.length;
        this.socket.write(p);
      }
      // Request read to response written (to the socket; corked writes leave this turn).
      a.meter?.record(a.version, a.requestBytes, size, performance.now() - a.receivedAt);
    }
  }
}
