// Injected faults of the test double, per broker (a node filter names the node a
// fault applies to; a single broker is its node.id). Each fault is a handle with
// `hits`, `fired()` and `remove()`; each firing is logged at info with the fault id.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { MemoryFileSystem } from '../../storage/fs-memory.js';
import { apiKeyOf, apiNameOf, type ApiRef } from './apis.js';
import { GROUP_APIS, groupsOf, PARTITION_SCOPES, type TopicPartitionRef } from './scopes.js';

export interface FaultMatch {
  /** Only requests on this node (a single broker is its node.id, 0 by default). */
  readonly node?: number;
  /** Only requests from this client id. */
  readonly clientId?: string;
  /** Produce, Fetch, ListOffsets: only this topic's partitions. */
  readonly topic?: string;
  /** Produce, Fetch, ListOffsets: only this partition (of `topic`, or of any topic). */
  readonly partition?: number;
  /** Group APIs (JoinGroup ... OffsetDelete, FindCoordinator for groups): only requests naming this group. */
  readonly group?: string;
  /** How many requests the fault acts on before it is spent. */
  readonly times?: number;
}

export type FaultKind = 'error' | 'delay' | 'disconnect' | 'hold';

let nextFaultId = 1;

export class Fault {
  readonly id = nextFaultId++;
  readonly api: string;
  /** Requests the fault acted on. */
  hits = 0;
  private resolveFired!: () => void;
  private readonly firedPromise = new Promise<void>((resolve) => (this.resolveFired = resolve));

  constructor(
    readonly apiKey: number,
    readonly kind: FaultKind,
    readonly match: FaultMatch,
    /** Requests it acts on; Infinity until removed. */
    readonly times: number,
    private readonly owner: FaultInjector,
    /** Error codes, one per hit (the last repeats). */
    readonly codes: readonly number[] = [],
    readonly delayMs = 0,
    readonly until?: Promise<unknown>,
  ) {
    this.api = apiNameOf(apiKey);
  }

  /** Resolves when the fault first acts on a request. */
  fired(): Promise<void> {
    return this.firedPromise;
  }

  get spent(): boolean {
    return this.hits >= this.times;
  }

  /** Stops the fault; a spent one is gone already. */
  remove(): void {
    this.owner.remove(this);
  }

  describe(): string {
    const what =
      this.kind === 'error' ? `error ${this.codes.join(',')}` : this.kind === 'delay' ? `delay ${this.delayMs} ms` : this.kind;
    const scope = Object.entries(this.match)
      .filter(([k]) => k !== 'times')
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    return `fault ${this.id}: ${this.api} ${what}${scope ? ` (${scope})` : ''}`;
  }

  /** @internal counts one hit and returns the error code for it. */
  hit(): number {
    const code = this.codes[Math.min(this.hits, this.codes.length - 1)] ?? 0;
    this.hits++;
    if (this.hits === 1) this.resolveFired();
    return code;
  }
}

/** Waits out a plan's delays and holds, in order (a hold's rejection counts as settled). */
export async function awaitFaultWaits(waits: readonly Fault[], clock: Clock): Promise<void> {
  for (const w of waits) {
    if (w.kind === 'delay') await new Promise<void>((resolve) => clock.setTimeout(resolve, w.delayMs));
    else
      await w.until?.then(
        () => undefined,
        () => undefined,
      );
  }
}

/** The request's facts a fault matches on. */
export interface RequestFacts {
  readonly apiKey: number;
  readonly version: number;
  readonly node: number;
  readonly clientId: string | null;
  readonly request: unknown;
  readonly topicName: (id: string) => string | undefined;
}

/** What the injected faults do to one request. */
export interface FaultPlan {
  /** Waits before the request is served (delays, holds), in fault order. */
  readonly waits: readonly Fault[];
  /** Close the connection instead of answering. */
  readonly disconnect?: Fault;
  /** Answer the whole request with this error (from `fault`). */
  readonly error?: { fault: Fault; code: number };
  /** Partition-scoped errors: these partitions get the code, the rest is served. */
  readonly partitionErrors?: readonly (TopicPartitionRef & { code: number; fault: Fault })[];
  /** The first fault that acted, for the request log. */
  readonly faultId: number;
}

export class FaultInjector {
  private readonly active: Fault[] = [];
  /** Every fault added since the last clear(), spent ones included: clear() reports those that never fired. */
  private readonly added: Fault[] = [];

  constructor(
    private readonly logger: Logger,
    /** Whether the broker serves this API key (faults on an API it never answers would be vacuous). */
    private readonly serves: (apiKey: number) => boolean,
    /** The broker's in-memory file system, when it has one (stallSync). */
    private readonly fs?: MemoryFileSystem,
  ) {}

  /**
   * Stalls every fsync (a disk that stops answering) until the returned function
   * is called. Needs in-memory storage (startBroker()'s default).
   */
  stallSync(): () => void {
    if (this.fs === undefined) throw new Error('stallSync needs in-memory storage (startBroker() without a data dir, or fs: new MemoryFileSystem())');
    const id = nextFaultId++;
    this.logger.info({ faultId: id }, `fault injected: fault ${id}: fsync stalled`);
    const release = this.fs.stallSync();
    return () => {
      this.logger.info({ faultId: id }, `fault removed: fault ${id}: fsync released`);
      release();
    };
  }

  get size(): number {
    return this.active.length;
  }

  /**
   * Answers the next requests of `api` with Kafka error `codes` (one per request;
   * `times` defaults to the number of codes, a single code repeats). With
   * `topic`/`partition` on Produce, Fetch or ListOffsets only those partitions fail
   * (a failed Produce partition is not appended) and the rest is served.
   */
  failNext(api: ApiRef, codes: number | readonly number[], match: FaultMatch = {}): Fault {
    const list = typeof codes === 'number' ? [codes] : [...codes];
    if (list.length === 0) throw new Error('failNext needs at least one error code');
    return this.add(apiKeyOf(api), 'error', match, match.times ?? list.length, list);
  }

  /** Serves matching requests `ms` later (every one until removed, unless `times`). */
  delay(api: ApiRef, ms: number, match: FaultMatch = {}): Fault {
    if (!(ms >= 0)) throw new Error(`delay needs a duration >= 0 ms, got ${ms}`);
    return this.add(apiKeyOf(api), 'delay', match, match.times ?? Infinity, [], ms);
  }

  /** Closes the connection when a matching request arrives, instead of answering (once unless `times`). */
  disconnectOn(api: ApiRef, match: FaultMatch = {}): Fault {
    return this.add(apiKeyOf(api), 'disconnect', match, match.times ?? 1);
  }

  /**
   * Holds the next matching request until `until` settles, then serves it; later
   * requests on the same connection wait behind it (Kafka serves a connection's
   * requests in order), other connections proceed.
   */
  hold(api: ApiRef, until: Promise<unknown>, match: FaultMatch = {}): Fault {
    return this.add(apiKeyOf(api), 'hold', match, match.times ?? 1, [], 0, until);
  }

  remove(fault: Fault): void {
    const i = this.active.indexOf(fault);
    if (i >= 0) this.active.splice(i, 1);
  }

  /** Removes every fault; returns those that never fired (a test that injected a fault nobody hit proved nothing). */
  clear(): Fault[] {
    const unused = this.added.filter((f) => f.hits === 0);
    this.active.length = 0;
    this.added.length = 0;
    return unused;
  }

  private add(
    apiKey: number,
    kind: FaultKind,
    match: FaultMatch,
    times: number,
    codes: number[] = [],
    delayMs = 0,
    until?: Promise<unknown>,
  ): Fault {
    if (!this.serves(apiKey)) throw new Error(`this broker does not serve ${apiNameOf(apiKey)}: a fault on it would never fire`);
    const scoped = match.topic !== undefined || match.partition !== undefined;
    if (scoped && !PARTITION_SCOPES.has(apiKey)) {
      throw new Error(`topic/partition filters apply to Produce, Fetch and ListOffsets, not ${apiNameOf(apiKey)}`);
    }
    if (match.group !== undefined && !GROUP_APIS.has(apiKey)) {
      throw new Error(`a group filter applies to group APIs, not ${apiNameOf(apiKey)}`);
    }
    if (!(times >= 1)) throw new Error(`times must be at least 1, got ${times}`);
    const fault = new Fault(apiKey, kind, match, times, this, codes, delayMs, until);
    this.active.push(fault);
    this.added.push(fault);
    this.logger.info({ faultId: fault.id, api: fault.api, kind, match }, `fault injected: ${fault.describe()}`);
    return fault;
  }

  /** What the faults do to this request (null: nothing), counting their hits. */
  /** No fault is armed: requests need no plan. */
  get idle(): boolean {
    return this.active.length === 0;
  }

  plan(facts: RequestFacts): FaultPlan | null {
    if (this.active.length === 0) return null;
    const waits: Fault[] = [];
    let disconnect: Fault | undefined;
    let error: { fault: Fault; code: number } | undefined;
    const partitionErrors: (TopicPartitionRef & { code: number; fault: Fault })[] = [];
    const scope = PARTITION_SCOPES.get(facts.apiKey);
    let partitions: TopicPartitionRef[] | undefined;
    for (const fault of [...this.active]) {
      if (fault.apiKey !== facts.apiKey || !this.matchesRequest(fault, facts)) continue;
      const m = fault.match;
      let matched: TopicPartitionRef[] | undefined;
      if (scope && (m.topic !== undefined || m.partition !== undefined)) {
        partitions ??= scope.partitions(facts.request, facts.version, facts.topicName);
        matched = partitions.filter(
          (tp) =>
            (m.topic === undefined || tp.topic === m.topic) &&
            (m.partition === undefined || tp.partition === m.partition) &&
            !partitionErrors.some((e) => e.topic === tp.topic && e.partition === tp.partition),
        );
        if (matched.length === 0) continue;
      }
      if (fault.kind === 'delay' || fault.kind === 'hold') {
        fault.hit();
        waits.push(fault);
        this.fire(fault, facts, {});
        continue;
      }
      // One terminal fault per request (partition errors aside): the others wait for a later request.
      if (disconnect !== undefined || error !== undefined) continue;
      const code = fault.hit();
      if (fault.kind === 'disconnect') {
        disconnect = fault;
        this.fire(fault, facts, {});
      } else if (matched !== undefined) {
        for (const tp of matched) partitionErrors.push({ ...tp, code, fault });
        this.fire(fault, facts, { code, partitions: matched.map((tp) => `${tp.topic}-${tp.partition}`) });
      } else {
        error = { fault, code };
        this.fire(fault, facts, { code });
      }
    }
    const first = waits[0] ?? disconnect ?? error?.fault ?? partitionErrors[0]?.fault;
    if (first === undefined) return null;
    return {
      waits,
      disconnect,
      error,
      partitionErrors: partitionErrors.length > 0 ? partitionErrors : undefined,
      faultId: first.id,
    };
  }

  private matchesRequest(fault: Fault, facts: RequestFacts): boolean {
    const m = fault.match;
    if (m.node !== undefined && m.node !== facts.node) return false;
    if (m.clientId !== undefined && m.clientId !== facts.clientId) return false;
    if (m.group !== undefined && !(groupsOf(facts.apiKey, facts.request, facts.version) ?? []).includes(m.group)) return false;
    return true;
  }

  private fire(fault: Fault, facts: RequestFacts, detail: Record<string, unknown>): void {
    if (fault.spent) this.remove(fault);
    this.logger.info(
      { faultId: fault.id, api: fault.api, version: facts.version, clientId: facts.clientId, hit: fault.hits, ...detail },
      `fault fired: ${fault.describe()}`,
    );
  }
}
