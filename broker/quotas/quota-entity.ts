// Client quota entities as Kafka names them (ClientQuotaEntity): a map of entity
// type (user, client-id, ip) to a name, null being the type's default entity.
// Kafka prints an entity, and iterates its parts, in java.util.HashMap order; the
// messages and answers here follow that order so they read as Kafka's do.

export const USER = 'user';
export const CLIENT_ID = 'client-id';
export const IP = 'ip';

/** One part of an entity: its type and name (null: the default entity of that type). */
export interface EntityPart {
  readonly entityType: string;
  readonly entityName: string | null;
}

/** An entity: its parts in Java HashMap order, one per type. */
export type QuotaEntity = readonly EntityPart[];

/** The quota keys and their Kafka types (QuotaConfigs.userAndClientQuotaConfigs, ipConfigs). */
export const USER_CLIENT_QUOTA_KEYS: Readonly<Record<string, 'long' | 'double'>> = {
  producer_byte_rate: 'long',
  consumer_byte_rate: 'long',
  request_percentage: 'double',
  controller_mutation_rate: 'double',
};
export const IP_QUOTA_KEYS: Readonly<Record<string, 'int'>> = { connection_creation_rate: 'int' };

function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * Keys in the order a java.util.HashMap built with `new HashMap<>(sizeHint)` and
 * filled in this order iterates them: by bucket of the final table, insertion
 * order within a bucket.
 */
export function javaHashMapOrder(keys: readonly string[], sizeHint = keys.length): string[] {
  let capacity = 1;
  while (capacity < Math.max(sizeHint, 1)) capacity *= 2;
  for (let size = 1; size <= keys.length; size++) if (size > Math.floor(capacity * 0.75)) capacity *= 2;
  const bucket = (k: string) => {
    const h = javaStringHash(k);
    return (h ^ (h >>> 16)) & (capacity - 1);
  };
  return keys.map((k, i) => ({ k, i, b: bucket(k) })).sort((x, y) => x.b - y.b || x.i - y.i).map((x) => x.k);
}

/**
 * An entity from request parts as Kafka's request classes build one: a map by type
 * (a type named twice keeps its last name), in HashMap order.
 */
export function entityOf(parts: readonly EntityPart[]): QuotaEntity {
  const byType = new Map<string, string | null>();
  for (const p of parts) byType.set(p.entityType, p.entityName);
  return javaHashMapOrder([...byType.keys()], parts.length).map((entityType) => ({ entityType, entityName: byType.get(entityType) ?? null }));
}

/** Equal entities have equal keys (the same types with the same names). */
export function entityKey(entity: QuotaEntity): string {
  return JSON.stringify([...entity].sort((a, b) => (a.entityType < b.entityType ? -1 : a.entityType > b.entityType ? 1 : 0)).map((p) => [p.entityType, p.entityName]));
}

/** Kafka's ClientQuotaEntity.toString: `ClientQuotaEntity(entries={client-id=x, user=alice})`. */
export function entityString(entity: QuotaEntity): string {
  return `ClientQuotaEntity(entries={${entity.map((p) => `${p.entityType}=${p.entityName}`).join(', ')}})`;
}

/** The name of `type` in the entity: undefined when the entity has no such part. */
export function nameOf(entity: QuotaEntity, type: string): string | null | undefined {
  const part = entity.find((p) => p.entityType === type);
  return part === undefined ? undefined : part.entityName;
}
