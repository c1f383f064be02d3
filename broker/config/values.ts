// Parsing, validation and formatting of single config values, as Kafka's ConfigDef.

import type { ConfigDefinition, ConfigType, ConfigTypeMap } from './types.js';

/** A configuration problem; the message is one line and names the key. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
  }

  static invalidValue(key: string, value: string | null, detail: string): ConfigError {
    return new ConfigError(key, `Invalid value ${value} for configuration ${key}: ${detail}`);
  }
}

const INT_RANGE: Record<'short' | 'int', [number, number]> = {
  short: [-32768, 32767],
  int: [-2147483648, 2147483647],
};
const LONG_MIN_BIG = -(2n ** 63n);
const LONG_MAX_BIG = 2n ** 63n - 1n;

/** Kafka-documentation style text of a definition's valid values, or '' if any. */
export function validValuesText(def: ConfigDefinition): string {
  if (def.validValues !== undefined) return def.validValues;
  if (def.oneOf !== undefined && def.caseInsensitive) return `(case insensitive) [${def.oneOf.join(', ').toUpperCase()}]`;
  if (def.oneOf !== undefined) return `[${def.oneOf.join(', ')}]`;
  if (def.range !== undefined) {
    const { min, max } = def.range;
    if (min !== undefined && max !== undefined) return `[${min},...,${max}]`;
    if (min !== undefined) return `[${min},...]`;
    if (max !== undefined) return `[...,${max}]`;
  }
  return '';
}

function parseTyped(def: ConfigDefinition, raw: string): ConfigTypeMap[ConfigType] {
  const s = raw.trim();
  const bad = (detail: string): ConfigError => ConfigError.invalidValue(def.name, raw, detail);
  switch (def.type) {
    case 'boolean': {
      const lower = s.toLowerCase();
      if (lower === 'true') return true;
      if (lower === 'false') return false;
      throw bad('Expected value to be either true or false');
    }
    case 'short':
    case 'int': {
      const [lo, hi] = INT_RANGE[def.type];
      const n = /^[+-]?\d+$/.test(s) ? Number(s) : NaN;
      if (!Number.isSafeInteger(n) || n < lo || n > hi) {
        throw bad(`Not a number of type ${def.type.toUpperCase()} (a whole number in [${lo},...,${hi}])`);
      }
      return n === 0 ? 0 : n; // no -0
    }
    case 'long': {
      const big = /^[+-]?\d+$/.test(s) ? BigInt(s) : null;
      if (big === null || big < LONG_MIN_BIG || big > LONG_MAX_BIG) {
        throw bad('Not a number of type LONG (a whole number in [-9223372036854775808,...,9223372036854775807])');
      }
      return Number(big);
    }
    case 'double': {
      const m = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[dDfF]?$/.exec(s);
      const n = m ? Number(s.replace(/[dDfF]$/, '')) : NaN;
      if (!Number.isFinite(n)) throw bad('Not a number of type DOUBLE');
      return n;
    }
    case 'string':
      return def.caseInsensitive ? (def.oneOf?.find((v) => v.toLowerCase() === s.toLowerCase()) ?? s) : s;
    case 'list':
      return s === '' ? [] : s.split(/\s*,\s*/);
  }
}

/** Checks range, allowed values and the row's own check; returns the error detail. */
export function violation(def: ConfigDefinition, value: ConfigTypeMap[ConfigType]): string | undefined {
  if (typeof value === 'number' && def.range !== undefined) {
    const { min, max } = def.range;
    const valid = validValuesText(def);
    if (min !== undefined && value < min) return `Value must be at least ${min} (valid values: ${valid})`;
    if (max !== undefined && value > max) return `Value must be no more than ${max} (valid values: ${valid})`;
  }
  if (def.oneOf !== undefined) {
    const items = Array.isArray(value) ? (value as readonly string[]) : [value as string];
    for (const item of items) {
      if (def.oneOf.includes(item)) continue;
      return def.caseInsensitive
        ? `String must be one of (case insensitive): ${def.oneOf.join(', ').toUpperCase()}`
        : `String must be one of: ${def.oneOf.join(', ')}`;
    }
  }
  if (def.check !== undefined) {
    // The table pairs each check with its row's type, so this call is sound.
    return (def.check as (v: ConfigTypeMap[ConfigType]) => string | undefined)(value);
  }
  return undefined;
}

/**
 * Parses one value as Kafka's ConfigDef would (trimmed; booleans
 * case-insensitive; lists split on commas) and validates it against the row's
 * range, allowed values and check. Throws ConfigError naming the key and what is
 * valid.
 */
export function parseConfigValue<T extends ConfigType>(
  def: ConfigDefinition & { readonly type: T },
  raw: string,
): ConfigTypeMap[T] {
  const value = parseTyped(def, raw);
  const problem = violation(def, value);
  if (problem !== undefined) throw ConfigError.invalidValue(def.name, raw, problem);
  return value as ConfigTypeMap[T];
}

/** Formats a typed value the way Kafka prints it (DescribeConfigs, docs). */
export function formatConfigValue(def: ConfigDefinition, value: ConfigTypeMap[ConfigType] | null): string | null {
  if (value === null) return null;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.join(',');
  const n = value as number;
  if (def.type === 'double') {
    const text = String(n);
    // Java's Double.toString: 15.0, 0.9, 1.7976931348623157E308
    if (text.includes('e')) return text.replace('e+', 'E').replace('e-', 'E-');
    return Number.isInteger(n) ? `${text}.0` : text;
  }
  if (Number.isSafeInteger(n)) return String(n);
  let big = BigInt(n);
  if (big > LONG_MAX_BIG) big = LONG_MAX_BIG;
  if (big < LONG_MIN_BIG) big = LONG_MIN_BIG;
  return big.toString();
}

/** The default of a row formatted as Kafka would print it. */
export function formatDefault(def: ConfigDefinition): string | null {
  return formatConfigValue(def, def.default);
}
