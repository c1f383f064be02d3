// The client quotas (user, client-id and ip entities and their quota values): the
// state the Cluster persists, the changes AlterClientQuotas makes to it and the
// filter DescribeClientQuotas reads it through.
//
// A change is a list of records, as Kafka's controller writes ClientQuotaRecords
// (set a key, or remove it) and every broker replays them; the same records are
// replayed when the stored state is loaded.
//
// Describe follows Kafka 3.9's ClientQuotasImage.describe: EXACT (0) matches a
// name, DEFAULT (1) the default entity, SPECIFIED (2) any entity with a part of
// that type (the default one too, as 3.9 does); a type filtered twice, an empty
// or unknown type, a match string where none belongs and ip filtered with user or
// client-id are refused with Kafka's messages. Strict keeps only entities with
// exactly the filtered types; an empty non-strict filter matches everything.
import { ErrorCode } from '../../protocol/errors.js';
import { CLIENT_ID, IP, USER, entityKey, javaHashMapOrder, nameOf, type EntityPart, type QuotaEntity } from './quota-entity.js';

export const MATCH_EXACT = 0;
export const MATCH_DEFAULT = 1;
export const MATCH_SPECIFIED = 2;

/** Set `key` to `value` on the entity, or remove it (value null). */
export interface QuotaRecord {
  readonly entity: QuotaEntity;
  readonly key: string;
  readonly value: number | null;
}

export interface FilterComponent {
  readonly entityType: string;
  readonly matchType: number;
  readonly match: string | null;
}

export interface DescribedQuota {
  readonly entity: EntityPart[];
  readonly values: { key: string; value: number }[];
}

/** What the Cluster keeps on disk: values as strings so NaN and Infinity (which Kafka accepts) survive JSON. */
export interface StoredClientQuota {
  entity: EntityPart[];
  values: Record<string, string>;
}

export class DescribeError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

interface Stored {
  entity: QuotaEntity;
  values: Map<string, number>;
}

export class ClientQuotas {
  private readonly byKey = new Map<string, Stored>();
  /** Bumped on every change, so readers can cache what they derived. */
  private version = 0;

  get generation(): number {
    return this.version;
  }

  /** The values of one entity (empty when it has none). */
  values(entity: QuotaEntity): ReadonlyMap<string, number> {
    return this.byKey.get(entityKey(entity))?.values ?? new Map();
  }

  /** The value of `key` for the entity, if set. */
  value(entity: QuotaEntity, key: string): number | undefined {
    return this.byKey.get(entityKey(entity))?.values.get(key);
  }

  /** Every entity with at least one value. */
  entities(): QuotaEntity[] {
    return [...this.byKey.values()].map((s) => s.entity);
  }

  apply(records: readonly QuotaRecord[]): void {
    for (const r of records) {
      const k = entityKey(r.entity);
      let stored = this.byKey.get(k);
      if (r.value === null) {
        if (!stored) continue;
        stored.values.delete(r.key);
        if (stored.values.size === 0) this.byKey.delete(k);
      } else {
        if (!stored) this.byKey.set(k, (stored = { entity: r.entity, values: new Map() }));
        stored.values.set(r.key, r.value);
      }
    }
    if (records.length > 0) this.version++;
  }

  load(stored: readonly StoredClientQuota[]): void {
    this.apply(stored.flatMap((s) => Object.entries(s.values).map(([key, v]) => ({ entity: s.entity, key, value: Number(v) }))));
  }

  snapshot(): StoredClientQuota[] {
    return [...this.byKey.values()].map((s) => ({
      entity: s.entity.map((p) => ({ entityType: p.entityType, entityName: p.entityName })),
      values: Object.fromEntries([...s.values].map(([k, v]) => [k, String(v)])),
    }));
  }

  /** Kafka's DescribeClientQuotas; throws DescribeError for a filter Kafka refuses. */
  describe(components: readonly FilterComponent[], strict: boolean): DescribedQuota[] {
    const exact = new Map<string, string | null>();
    const typed = new Set<string>();
    for (const c of components) {
      if (c.entityType === '') throw new DescribeError(ErrorCode.INVALID_REQUEST, 'Invalid empty entity type.');
      if (exact.has(c.entityType) || typed.has(c.entityType)) {
        throw new DescribeError(ErrorCode.INVALID_REQUEST, `Entity type ${c.entityType} cannot appear more than once in the filter.`);
      }
      if (c.entityType !== IP && c.entityType !== USER && c.entityType !== CLIENT_ID) {
        throw new DescribeError(ErrorCode.UNSUPPORTED_VERSION, `Unsupported entity type ${c.entityType}`);
      }
      if (c.matchType === MATCH_EXACT) {
        if (c.match === null) throw new DescribeError(ErrorCode.INVALID_REQUEST, 'Request specified MATCH_TYPE_EXACT, but set match string to null.');
        exact.set(c.entityType, c.match);
      } else if (c.matchType === MATCH_DEFAULT) {
        if (c.match !== null) throw new DescribeError(ErrorCode.INVALID_REQUEST, 'Request specified MATCH_TYPE_DEFAULT, but also specified a match string.');
        exact.set(c.entityType, null);
      } else if (c.matchType === MATCH_SPECIFIED) {
        if (c.match !== null) throw new DescribeError(ErrorCode.INVALID_REQUEST, 'Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.');
        typed.add(c.entityType);
      } else {
        throw new DescribeError(ErrorCode.INVALID_REQUEST, `Unknown match type ${c.matchType}`);
      }
    }
    const filtered = (t: string) => exact.has(t) || typed.has(t);
    if (filtered(IP) && (filtered(USER) || filtered(CLIENT_ID))) {
      throw new DescribeError(
        ErrorCode.INVALID_REQUEST,
        'Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.',
      );
    }
    const matches = (entity: QuotaEntity): boolean => {
      if (strict && entity.length !== exact.size + typed.size) return false;
      for (const [type, name] of exact) if (nameOf(entity, type) !== name) return false;
      for (const type of typed) if (nameOf(entity, type) === undefined) return false;
      return true;
    };
    return [...this.byKey.values()]
      .filter((s) => matches(s.entity))
      .map((s) => ({
        entity: s.entity.map((p) => ({ ...p })),
        values: javaHashMapOrder([...s.values.keys()]).map((key) => ({ key, value: s.values.get(key) as number })),
      }));
  }
}
