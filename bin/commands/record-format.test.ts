import { describe, expect, it } from 'vitest';
import { CliUsageError } from '../args.js';
import type { ConsumedRecord } from '../../client/fetcher.js';
import { compileTemplate, recordFormatter } from './record-format.js';
import { parseFrom } from './consume.js';
import { parseJsonLine } from './produce.js';
import { CommandError } from './common.js';

const record: ConsumedRecord = {
  topic: 'orders',
  partition: 2,
  offset: 41n,
  timestamp: 1700000000000n,
  timestampType: 0,
  key: Buffer.from('k1'),
  value: Buffer.from('héllo'),
  headers: [
    { key: 'a', value: Buffer.from('1') },
    { key: 'b', value: null },
  ],
};

describe('consume output formats', () => {
  it('expands every template token and escape', () => {
    expect(compileTemplate('%t|%p|%o|%T|%k|%s|%K|%S|%h|100%%\\t\\\\\\n')(record)).toBe(
      'orders|2|41|1700000000000|k1|héllo|2|6|a=1,b=null|100%\t\\\n',
    );
    expect(compileTemplate('%k=%s')({ ...record, key: null, value: null })).toBe('null=null');
    expect(compileTemplate('%K %S')({ ...record, key: null, value: null })).toBe('-1 -1');
  });

  it('names value, key=value and json; refuses unknown tokens and mixed options', () => {
    expect(recordFormatter(undefined, false)(record)).toBe('héllo\n');
    expect(recordFormatter('key=value', false)(record)).toBe('k1=héllo\n');
    expect(JSON.parse(recordFormatter(undefined, true)(record))).toEqual({
      topic: 'orders',
      partition: 2,
      offset: 41,
      timestamp: 1700000000000,
      timestampType: 'CreateTime',
      key: 'k1',
      value: 'héllo',
      headers: { a: '1', b: null },
    });
    expect(() => compileTemplate('%q')).toThrow(CliUsageError);
    expect(() => compileTemplate('ends with %')).toThrow('--format: unknown token "%"');
    expect(() => compileTemplate('\\x')).toThrow('--format: unknown escape "\\x"');
    expect(() => recordFormatter('value', true)).toThrow('--json and --format do not go together');
    expect(() => recordFormatter('keys', false)).toThrow(CliUsageError);
  });
});

describe('consume --from', () => {
  it('parses positions, offsets and timestamps', () => {
    expect(parseFrom(undefined)).toEqual({ kind: 'earliest' });
    expect(parseFrom('beginning')).toEqual({ kind: 'earliest' });
    expect(parseFrom('end')).toEqual({ kind: 'latest' });
    expect(parseFrom('17')).toEqual({ kind: 'offset', offset: 17n });
    expect(parseFrom('@1700000000000')).toEqual({ kind: 'timestamp', ms: 1700000000000n });
    expect(parseFrom('@2023-11-14T22:13:20Z')).toEqual({ kind: 'timestamp', ms: 1700000000000n });
    for (const bad of ['-1', '1.5', '@', '@yesterday', '@2023-13-45', 'begin']) expect(() => parseFrom(bad), bad).toThrow(CliUsageError);
  });
});

describe('produce --json lines', () => {
  it('reads key, value, headers and partition; other JSON values become their JSON text', () => {
    const r = parseJsonLine('{"key":"k","value":{"n":[1,2]},"headers":{"h":"v","gone":null},"partition":3}', 1);
    expect(r.key?.toString()).toBe('k');
    expect(r.value?.toString()).toBe('{"n":[1,2]}');
    expect(r.headers.map((h) => [h.key, h.value?.toString() ?? null])).toEqual([
      ['h', 'v'],
      ['gone', null],
    ]);
    expect(r.partition).toBe(3);
    expect(parseJsonLine('{}', 1)).toEqual({ key: null, value: null, headers: [] });
  });

  it('refuses what it cannot read, naming the line', () => {
    const cases: [string, string][] = [
      ['{"value": nope}', 'line 4: invalid JSON'],
      ['[1,2]', 'line 4: expected a JSON object'],
      ['{"valeu":"x"}', 'line 4: unknown field "valeu"'],
      ['{"headers":["a"]}', 'line 4: "headers" must be an object of strings'],
      ['{"headers":{"a":1}}', 'line 4: header "a" must be a string or null'],
      ['{"partition":-1}', 'line 4: "partition" must be a whole number'],
      ['{"partition":1.5}', 'line 4: "partition" must be a whole number'],
    ];
    for (const [line, message] of cases) {
      expect(() => parseJsonLine(line, 4), line).toThrow(CommandError);
      expect(() => parseJsonLine(line, 4), line).toThrow(message);
    }
  });
});
