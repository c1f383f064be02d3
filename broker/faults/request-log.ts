// The test double's request log: every request a client sent and the answer it
// got, decoded, in a ring buffer of bounded size, with hooks a test awaits
// ("two JoinGroups arrived") instead of sleeping.
import { DEFAULT_WAIT_MS } from '../double/wait.js';
import { apiKeyOf, apiNameOf, type ApiRef } from './apis.js';

export interface RequestLogEntry {
  /** Position in the broker's request order since start or the last reset(). */
  readonly seq: number;
  readonly apiKey: number;
  readonly api: string;
  readonly version: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  /** The connection's id (as in the broker's log lines). */
  readonly connection: number;
  /** The node that received it (the broker's node.id). */
  readonly node: number;
  /** Epoch ms. */
  readonly receivedAt: number;
  /** Epoch ms; null until answered (or forever, for acks=0 and dropped connections). */
  respondedAt: number | null;
  readonly request: unknown;
  /** The decoded answer, null until answered or when none is sent. */
  response: unknown;
  /** The injected fault that acted on this request, if any. */
  faultId: number | null;
}

type Listener = (e: RequestLogEntry) => void;

/** Default capacity: enough for a test's traffic, small enough not to hold much record data. */
export const DEFAULT_REQUEST_LOG_SIZE = 1000;

export class RequestLog {
  private ring: (RequestLogEntry | undefined)[];
  private next = 0;
  private seq = 0;
  private readonly listeners = new Set<Listener>();
  private readonly responseListeners = new Set<Listener>();

  constructor(readonly capacity: number = DEFAULT_REQUEST_LOG_SIZE) {
    this.ring = new Array(Math.max(0, capacity));
  }

  get enabled(): boolean {
    return this.capacity > 0 || this.listeners.size > 0;
  }

  /** Called by dispatch for every request. */
  record(e: Omit<RequestLogEntry, 'seq'>): RequestLogEntry {
    const entry: RequestLogEntry = { seq: this.seq++, ...e };
    if (this.capacity > 0) {
      this.ring[this.next] = entry;
      this.next = (this.next + 1) % this.capacity;
    }
    for (const fn of this.listeners) fn(entry);
    return entry;
  }

  /** The entries kept, oldest first, optionally only of one API. */
  entries(api?: ApiRef): RequestLogEntry[] {
    const key = api === undefined ? undefined : apiKeyOf(api);
    const out: RequestLogEntry[] = [];
    for (let i = 0; i < this.capacity; i++) {
      const e = this.ring[(this.next + i) % this.capacity];
      if (e !== undefined && (key === undefined || e.apiKey === key)) out.push(e);
    }
    return out;
  }

  /** Calls `fn` with every request as it arrives (its response fills in later); returns the unsubscribe. */
  onRequest(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Calls `fn` with every entry once its answer was built (not for acks=0 produces or dropped connections). */
  onResponse(fn: Listener): () => void {
    this.responseListeners.add(fn);
    return () => this.responseListeners.delete(fn);
  }

  /** Called by dispatch when an entry's answer is set. */
  responded(entry: RequestLogEntry): void {
    for (const fn of this.responseListeners) fn(entry);
  }

  /**
   * Resolves with the first `count` (default 1) requests of `api` in the log,
   * counting those already there, once that many have arrived (with `answered`,
   * once that many were answered: what the broker did for them is done). Rejects
   * after `timeoutMs` (default DEFAULT_WAIT_MS, below a test runner's 5 s) saying
   * how many came.
   */
  waitFor(api: ApiRef, opts: { count?: number; answered?: boolean; timeoutMs?: number } = {}): Promise<RequestLogEntry[]> {
    const key = apiKeyOf(api);
    const count = opts.count ?? 1;
    const timeoutMs = opts.timeoutMs ?? DEFAULT_WAIT_MS;
    const seen = this.entries(key).filter((e) => !opts.answered || e.respondedAt !== null);
    if (seen.length >= count) return Promise.resolve(seen.slice(0, count));
    return new Promise((resolve, reject) => {
      const off = (opts.answered ? this.onResponse : this.onRequest).call(this, (e) => {
        if (e.apiKey !== key) return;
        seen.push(e);
        if (seen.length < count) return;
        clearTimeout(timer);
        off();
        resolve(seen.slice(0, count));
      });
      const timer = setTimeout(() => {
        off();
        reject(new Error(`${seen.length} of ${count} ${apiNameOf(key)} request(s) ${opts.answered ? 'answered' : 'arrived'} within ${timeoutMs} ms`));
      }, timeoutMs);
    });
  }

  /** Forgets every entry and restarts the sequence (reset()); listeners stay. */
  clear(): void {
    this.ring = new Array(Math.max(0, this.capacity));
    this.next = 0;
    this.seq = 0;
  }
}
