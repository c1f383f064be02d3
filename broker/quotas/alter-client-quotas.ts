// AlterClientQuotas' checks and the records they yield, as Kafka 3.9's
// ClientQuotaControlManager computes them. Per entity, in request order:
//   - a key named twice, or an entity already seen in this request: "Ignoring
//     duplicate entity ..." (the first entry's changes still apply, as in Kafka);
//   - no parts, an unknown type, an empty name: INVALID_REQUEST;
//   - ip with user or client-id: INVALID_REQUEST; an ip name that is neither an
//     address nor a resolvable host: INVALID_REQUEST;
//   - per key set (removals are not checked): a key the entity's types do not
//     have, a value <= 0, a fractional or too large value for an integral key.
// Any failure leaves that entity unchanged; the other entities' records apply.
// A record is made only for a change (a value that differs, a key that exists).
import { ErrorCode } from '../../protocol/errors.js';
import type { ClientQuotas, QuotaRecord } from './client-quotas.js';
import { CLIENT_ID, IP, IP_QUOTA_KEYS, USER, USER_CLIENT_QUOTA_KEYS, entityKey, entityOf, entityString, javaHashMapOrder, nameOf, type EntityPart, type QuotaEntity } from './quota-entity.js';

export interface AlterationEntry {
  readonly entity: readonly EntityPart[];
  readonly ops: readonly { key: string; value: number; remove: boolean }[];
}

export interface AlterationResult {
  readonly entity: QuotaEntity;
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

const LONG_MAX = 2 ** 63;
const INT_MAX = 2147483647;

const invalid = (errorMessage: string) => ({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage });
const OK = { errorCode: ErrorCode.NONE, errorMessage: null };

function checkEntity(entity: QuotaEntity): { errorCode: number; errorMessage: string | null } {
  if (entity.length === 0) return invalid('Invalid empty client quota entity');
  for (const { entityType, entityName } of entity) {
    if (entityType !== USER && entityType !== CLIENT_ID && entityType !== IP) return invalid(`Unhandled client quota entity type: ${entityType}`);
    if (entityName === '') return invalid(`Empty ${entityType} not supported`);
  }
  return OK;
}

function checkValue(keys: Readonly<Record<string, string>>, key: string, value: number): { errorCode: number; errorMessage: string | null } {
  const type = keys[key];
  if (type === undefined) return invalid(`Invalid configuration key ${key}`);
  if (value <= 0) return invalid(`Quota ${key} must be greater than 0`);
  if (type === 'double') return OK;
  if (type === 'int' && value > INT_MAX) return invalid(`Proposed value for ${key} is too large for an INT.`);
  if (type === 'long' && value > LONG_MAX) return invalid(`Proposed value for ${key} is too large for a LONG.`);
  if (Math.abs(value % 1) > 1e-6) return invalid(`${key} cannot be a fractional value.`);
  return OK;
}

/**
 * The results per distinct entity (in first-seen order) and the records to apply.
 * `resolvable` says whether an ip entity's name is an address or resolves (Kafka's InetAddress.getByName).
 */
export async function planAlterations(
  current: ClientQuotas,
  entries: readonly AlterationEntry[],
  resolvable: (host: string) => Promise<boolean>,
): Promise<{ results: AlterationResult[]; records: QuotaRecord[] }> {
  const results = new Map<string, AlterationResult>();
  const records: QuotaRecord[] = [];
  for (const entry of entries) {
    const entity = entityOf(entry.entity);
    const k = entityKey(entity);
    // A null value removes; a key named twice spoils the entry.
    const alterations = new Map<string, number | null>();
    let duplicateKey = false;
    for (const op of entry.ops) {
      if (alterations.has(op.key)) duplicateKey = true;
      else alterations.set(op.key, op.remove ? null : op.value);
    }
    if (duplicateKey || results.has(k)) {
      results.set(k, { entity, ...invalid(`Ignoring duplicate entity ${entityString(entity)}`) });
      continue;
    }
    const outcome = await planEntity(current, entity, alterations, entry.ops.length, resolvable);
    results.set(k, { entity, errorCode: outcome.errorCode, errorMessage: outcome.errorMessage });
    records.push(...outcome.records);
  }
  return { results: [...results.values()], records };
}

async function planEntity(
  current: ClientQuotas,
  entity: QuotaEntity,
  alterations: Map<string, number | null>,
  opCount: number,
  resolvable: (host: string) => Promise<boolean>,
): Promise<{ errorCode: number; errorMessage: string | null; records: QuotaRecord[] }> {
  const entityError = checkEntity(entity);
  if (entityError.errorCode !== ErrorCode.NONE) return { ...entityError, records: [] };
  const ip = nameOf(entity, IP);
  let keys: Readonly<Record<string, string>>;
  if (ip !== undefined) {
    // Kafka's message lacks the space between "should" and "not"; kept as it is.
    if (entity.length > 1) return { ...invalid('Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId'), records: [] };
    if (ip !== null && !(await resolvable(ip))) return { ...invalid(`${ip} is not a valid IP or resolvable host.`), records: [] };
    keys = IP_QUOTA_KEYS;
  } else {
    keys = USER_CLIENT_QUOTA_KEYS;
  }
  const existing = current.values(entity);
  const records: QuotaRecord[] = [];
  for (const key of javaHashMapOrder([...alterations.keys()], opCount)) {
    const value = alterations.get(key) as number | null;
    if (value === null) {
      if (existing.has(key)) records.push({ entity, key, value: null });
      continue;
    }
    const error = checkValue(keys, key, value);
    if (error.errorCode !== ErrorCode.NONE) return { ...error, records: [] };
    if (!Object.is(existing.get(key), value)) records.push({ entity, key, value });
  }
  return { ...OK, records };
}
