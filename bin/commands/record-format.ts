// How `kafkalite consume` prints a record: the value, key=value, a JSON object
// with metadata, or a template with kcat-style tokens:
//   %t topic  %p partition  %o offset  %T timestamp (ms)  %k key  %s value
//   %K key length  %S value length (-1 for null)  %h headers (k=v,k=v)  %% a %
//   and the escapes \n \t \\ .
// Keys, values and headers are decoded as UTF-8; a null key or value prints as
// "null" (as Kafka's console consumer does), null in JSON.
import { CliUsageError } from '../args.js';
import type { ConsumedRecord } from '../../client/fetcher.js';
import { toJson } from './output.js';

export type RecordFormatter = (r: ConsumedRecord) => string;

const text = (b: Buffer | null): string => (b === null ? 'null' : b.toString('utf8'));

const TOKENS: Readonly<Record<string, (r: ConsumedRecord) => string>> = {
  t: (r) => r.topic,
  p: (r) => String(r.partition),
  o: (r) => String(r.offset),
  T: (r) => String(r.timestamp),
  k: (r) => text(r.key),
  s: (r) => text(r.value),
  K: (r) => String(r.key === null ? -1 : r.key.length),
  S: (r) => String(r.value === null ? -1 : r.value.length),
  h: (r) => r.headers.map((h) => `${h.key}=${text(h.value)}`).join(','),
  '%': () => '%',
};

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', '\\': '\\' };

/** A template's pieces: literal strings and token functions. A bad token is a usage error. */
export function compileTemplate(template: string): RecordFormatter {
  const parts: (string | ((r: ConsumedRecord) => string))[] = [];
  let lit = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c === '%' || c === '\\') {
      const next = template[i + 1];
      const table: Readonly<Record<string, unknown>> = c === '%' ? TOKENS : ESCAPES;
      if (next === undefined || !Object.hasOwn(table, next)) {
        throw new CliUsageError(`--format: unknown ${c === '%' ? 'token' : 'escape'} "${c}${next ?? ''}" (tokens: %t %p %o %T %k %s %K %S %h %%)`);
      }
      i++;
      if (c === '\\') {
        lit += ESCAPES[next]!;
      } else {
        if (lit !== '') parts.push(lit);
        lit = '';
        parts.push(TOKENS[next]!);
      }
    } else {
      lit += c;
    }
  }
  if (lit !== '') parts.push(lit);
  return (r) => parts.map((p) => (typeof p === 'string' ? p : p(r))).join('');
}

export function jsonRecord(r: ConsumedRecord): string {
  return toJson({
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    timestamp: r.timestamp,
    timestampType: r.timestampType === 1 ? 'LogAppendTime' : 'CreateTime',
    key: r.key === null ? null : r.key.toString('utf8'),
    value: r.value === null ? null : r.value.toString('utf8'),
    headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value === null ? null : h.value.toString('utf8')])),
  });
}

/** `value`, `key=value`, or a template (anything with a %); each record printed as one line. */
export function recordFormatter(format: string | undefined, json: boolean): RecordFormatter {
  if (json) {
    if (format !== undefined) throw new CliUsageError('--json and --format do not go together');
    return (r) => `${jsonRecord(r)}\n`;
  }
  if (format === undefined || format === 'value') return (r) => `${text(r.value)}\n`;
  if (format === 'key=value') return (r) => `${text(r.key)}=${text(r.value)}\n`;
  if (!format.includes('%')) throw new CliUsageError(`--format must be value, key=value or a template with %-tokens, got "${format}"`);
  // Like kcat -f, a template prints exactly what it says: end it with \\n for one line per record.
  return compileTemplate(format);
}
