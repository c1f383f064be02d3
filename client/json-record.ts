// A record to produce, given as a JSON object {"key", "value", "headers",
// "partition"} (every field optional): `kafkalite produce --json` reads one per
// line, the web console's produce form posts one. A string is sent as UTF-8,
// null as null, any other JSON value as its JSON text.
import type { RecordHeader } from '../protocol/record-batch.js';
import type { ProduceRecord } from './producer.js';

/** Input that is not a record; the message says why, for a person. */
export class RecordInputError extends Error {
  override name = 'RecordInputError';
}

const JSON_FIELDS = new Set(['key', 'value', 'headers', 'partition']);

export function recordFromJson(obj: unknown): ProduceRecord {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new RecordInputError('expected a JSON object');
  const o = obj as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!JSON_FIELDS.has(k)) throw new RecordInputError(`unknown field "${k}" (key, value, headers, partition)`);
  const bytes = (v: unknown): Buffer | null => (v === undefined || v === null ? null : Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)));
  const headers: RecordHeader[] = [];
  if (o.headers !== undefined && o.headers !== null) {
    if (typeof o.headers !== 'object' || Array.isArray(o.headers)) throw new RecordInputError('"headers" must be an object of strings');
    for (const [k, v] of Object.entries(o.headers as Record<string, unknown>)) {
      if (v !== null && typeof v !== 'string') throw new RecordInputError(`header "${k}" must be a string or null`);
      headers.push({ key: k, value: v === null ? null : Buffer.from(v) });
    }
  }
  let partition: number | undefined;
  if (o.partition !== undefined) {
    if (typeof o.partition !== 'number' || !Number.isInteger(o.partition) || o.partition < 0) throw new RecordInputError('"partition" must be a whole number');
    partition = o.partition;
  }
  return { key: bytes(o.key), value: bytes(o.value), headers, ...(partition !== undefined ? { partition } : {}) };
}

/** JSON text to a record: invalid JSON is a RecordInputError too. */
export function parseJsonRecord(text: string): ProduceRecord {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new RecordInputError(`invalid JSON (${(e as Error).message})`);
  }
  return recordFromJson(obj);
}
