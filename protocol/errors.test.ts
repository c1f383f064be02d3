import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ErrorCode, KAFKA_ERRORS, errorByCode, errorName, isRetriable } from './errors.js';

const TSV = fileURLToPath(new URL('../../shared/kafka-error-codes.tsv', import.meta.url));
const tsvExists = existsSync(TSV);
if (!tsvExists) {
  console.warn(`errors.test.ts: ${TSV} is absent (a clone without shared/), so the table check is skipped`);
}

describe('Kafka error codes', () => {
  it.skipIf(!tsvExists)('match ../shared/kafka-error-codes.tsv row for row', () => {
    const rows = readFileSync(TSV, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'))
      .slice(1) // column names
      .map((l) => {
        const [code, name, retriable] = l.split('\t');
        expect(retriable === 'true' || retriable === 'false').toBe(true);
        return { code: Number(code), name, retriable: retriable === 'true' };
      });
    expect(rows.length).toBeGreaterThan(100);
    expect(KAFKA_ERRORS.map((e) => ({ ...e }))).toEqual(rows);
  });

  it('has unique codes and names', () => {
    expect(new Set(KAFKA_ERRORS.map((e) => e.code)).size).toBe(KAFKA_ERRORS.length);
    expect(new Set(KAFKA_ERRORS.map((e) => e.name)).size).toBe(KAFKA_ERRORS.length);
  });

  it('looks up by name and by code', () => {
    expect(ErrorCode.NONE).toBe(0);
    expect(ErrorCode.UNKNOWN_SERVER_ERROR).toBe(-1);
    expect(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).toBe(3);
    expect(ErrorCode.CORRUPT_MESSAGE).toBe(2);
    expect(errorByCode(3)).toEqual({ code: 3, name: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true });
    expect(errorByCode(9999)).toBeUndefined();
    expect(errorName(6)).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(errorName(9999)).toBe('UNKNOWN_ERROR_CODE_9999');
    expect(isRetriable(ErrorCode.REQUEST_TIMED_OUT)).toBe(true);
    expect(isRetriable(ErrorCode.TOPIC_AUTHORIZATION_FAILED)).toBe(false);
    for (const e of KAFKA_ERRORS) expect((ErrorCode as Record<string, number>)[e.name]).toBe(e.code);
  });
});
