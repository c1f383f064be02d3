// Test support, not shipped: fast-check arbitraries for any message of Kafka's
// JSON specs at any version, built from the spec model (protocol/codegen/spec.ts)
// rather than from the generated code, so that a generator bug cannot hide in both.
// Used by codecs.property.test.ts and codecs.fuzz.test.ts.
import fc from 'fast-check';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSpecDir, type FieldSpec, type MessageSpec, type VersionRange } from './codegen/spec.js';
import type { MessageCodec } from './codec-runtime.js';
import * as messages from './messages/index.js';

const here = dirname(fileURLToPath(import.meta.url));
export const SPEC_DIR = join(here, '../../shared/kafka-message-specs');

const PRIMITIVES = new Set(['bool', 'int8', 'int16', 'int32', 'int64', 'uint16', 'uuid', 'float64', 'string', 'bytes', 'records']);
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

export interface SpecMessage {
  spec: MessageSpec;
  /** The generated codec for this message. */
  codec: MessageCodec<unknown>;
  /** A readable label: "Produce request", "RequestHeader", "OffsetCommitValue". */
  label: string;
  versions: number[];
}

/**
 * Every message of the specs with its generated codec: the 88 APIs' requests and
 * responses, the headers, the data schemas and the coordinator records. Null when
 * the spec directory is not on this machine.
 */
export function loadSpecMessages(): SpecMessage[] | null {
  if (!existsSync(SPEC_DIR)) return null;
  const specs = [...readSpecDir(SPEC_DIR), ...readSpecDir(join(SPEC_DIR, 'coordinator-records'))];
  const out: SpecMessage[] = [];
  for (const spec of specs) {
    let codec: MessageCodec<unknown> | undefined;
    let label = spec.name;
    if (spec.type === 'request' || spec.type === 'response') {
      const api = messages.ALL_APIS.find((a) => a.apiKey === spec.apiKey);
      if (!api) throw new Error(`no generated API for key ${spec.apiKey} (${spec.name})`);
      codec = api[spec.type];
      label = `${api.name} ${spec.type}`;
    } else {
      codec = (messages as unknown as Record<string, MessageCodec<unknown> | undefined>)[`${spec.name}Codec`];
    }
    if (!codec) throw new Error(`no generated codec for ${spec.name}`);
    const versions: number[] = [];
    for (let v = spec.validVersions.min; v <= spec.validVersions.max; v++) versions.push(v);
    out.push({ spec, codec, label, versions });
  }
  return out;
}

function within(r: VersionRange, v: number): boolean {
  return v >= r.min && v <= r.max;
}

function structFields(spec: MessageSpec, f: FieldSpec): FieldSpec[] {
  const elem = f.type.startsWith('[]') ? f.type.slice(2) : f.type;
  const fields = f.fields ?? spec.commonStructs.find((s) => s.name === elem)?.fields;
  if (!fields) throw new Error(`${spec.name}.${f.name}: no fields for struct ${elem}`);
  return fields;
}

function camel(name: string): string {
  return name[0].toLowerCase() + name.slice(1);
}

function numericDefault(d: string | undefined): number {
  return d === undefined || d === '' ? 0 : Number(d);
}

/** The value a field takes when a version lacks it (Kafka's schema defaults). */
export function fieldDefault(spec: MessageSpec, f: FieldSpec): unknown {
  const d = f.default;
  if (d === 'null') return null;
  if (f.type.startsWith('[]')) return [];
  switch (f.type) {
    case 'bool':
      return d === 'true';
    case 'int8':
    case 'int16':
    case 'int32':
    case 'uint16':
    case 'float64':
      return numericDefault(d);
    case 'int64':
      return d === undefined || d === '' ? 0n : BigInt(d);
    case 'string':
      return d ?? '';
    case 'uuid':
      return ZERO_UUID;
    case 'bytes':
      return Buffer.alloc(0);
    case 'records':
      return null;
    default:
      return structDefault(spec, structFields(spec, f));
  }
}

function structDefault(spec: MessageSpec, fields: FieldSpec[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of fields) o[camel(f.name)] = fieldDefault(spec, f);
  return o;
}

/** Arbitrary well-formed text: any code point, no lone surrogates (UTF-8 cannot carry them). */
const text = fc.string({ unit: 'binary', maxLength: 12 });
const uuid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => {
  const h = Buffer.from(b).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
});
const bytes = fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b));

function primitive(t: string): fc.Arbitrary<unknown> {
  switch (t) {
    case 'bool':
      return fc.boolean();
    case 'int8':
      return fc.integer({ min: -0x80, max: 0x7f });
    case 'int16':
      return fc.integer({ min: -0x8000, max: 0x7fff });
    case 'uint16':
      return fc.integer({ min: 0, max: 0xffff });
    case 'int32':
      return fc.integer({ min: -0x80000000, max: 0x7fffffff });
    case 'int64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'float64':
      return fc.double();
    case 'uuid':
      return uuid;
    case 'string':
      return text;
    case 'bytes':
    case 'records':
      return bytes;
    default:
      throw new Error(`not a primitive: ${t}`);
  }
}

export interface ArbitraryOptions {
  /** Longest generated array (default 3). */
  maxArray?: number;
}

/**
 * Values of one message at one version: every field the version carries gets an
 * arbitrary valid value (nulls only where nullableVersions allow), every field it
 * lacks gets its default, so encode -> decode must give the value back exactly.
 */
export function messageArbitrary(spec: MessageSpec, version: number, opts: ArbitraryOptions = {}): fc.Arbitrary<Record<string, unknown>> {
  const maxArray = opts.maxArray ?? 3;
  const flexible = within(spec.flexibleVersions, version);

  const structArb = (fields: FieldSpec[], depth: number): fc.Arbitrary<Record<string, unknown>> => {
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const f of fields) model[camel(f.name)] = fieldArb(f, depth);
    return fc.record(model);
  };

  const fieldArb = (f: FieldSpec, depth: number): fc.Arbitrary<unknown> => {
    const tagged = f.tag !== undefined && within(f.taggedVersions, version);
    const present = within(f.versions, version) && (!tagged || flexible);
    if (!present) return fc.constant(fieldDefault(spec, f));
    const nullable = within(f.nullableVersions, version);
    let arb: fc.Arbitrary<unknown>;
    if (f.type.startsWith('[]')) {
      const elem = f.type.slice(2);
      const elemArb = PRIMITIVES.has(elem) ? primitive(elem) : structArb(structFields(spec, f), depth + 1);
      // Deeper arrays stay shorter so nested messages (Fetch, Metadata) keep small.
      arb = fc.array(elemArb, { maxLength: Math.max(1, maxArray - depth) });
    } else if (PRIMITIVES.has(f.type)) {
      arb = primitive(f.type);
    } else {
      arb = structArb(structFields(spec, f), depth + 1);
    }
    if (nullable) arb = fc.option(arb, { nil: null, freq: 4 });
    if (tagged) {
      // Tagged fields are often left at their default (then not written at all).
      arb = fc.oneof({ weight: 1, arbitrary: fc.constant(fieldDefault(spec, f)) }, { weight: 2, arbitrary: arb });
    }
    return arb;
  };

  return structArb(spec.fields, 0);
}

// ---- reference encoder -------------------------------------------------------
// A second, deliberately naive encoder that interprets the spec model at run time
// and builds bytes by hand (no Writer), following the wire rules of Kafka's
// protocol guide: big-endian fixed-width ints, classic (int16/int32 length, -1 for
// null) versus compact (unsigned varint length+1, 0 for null) strings, bytes and
// arrays in flexible versions, nullable structs behind an int8 marker (-1 null,
// 1 present), and a tagged-field section (count, then tag, size, value in tag
// order, non-default values only) closing every struct of a flexible version.
// The generated encoders must produce exactly these bytes.

function be(size: number, write: (b: Buffer) => void): Buffer {
  const b = Buffer.alloc(size);
  write(b);
  return b;
}

function uvarintBytes(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return Buffer.from(out);
}

function sameAsDefault(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) return Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameAsDefault(x, b[i]));
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => sameAsDefault((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return Object.is(a, b);
}

export function referenceEncode(spec: MessageSpec, value: Record<string, unknown>, version: number): Buffer {
  const flexible = within(spec.flexibleVersions, version);
  const parts: Buffer[] = [];

  const lengthPrefix = (n: number | null, compact: boolean, classicWidth: 2 | 4): Buffer => {
    if (compact) return uvarintBytes(n === null ? 0 : n + 1);
    const v = n === null ? -1 : n;
    return classicWidth === 2 ? be(2, (b) => b.writeInt16BE(v)) : be(4, (b) => b.writeInt32BE(v));
  };

  const primitiveBytes = (t: string, x: unknown, compact: boolean): Buffer => {
    switch (t) {
      case 'bool':
        return Buffer.from([x ? 1 : 0]);
      case 'int8':
        return be(1, (b) => b.writeInt8(x as number));
      case 'int16':
        return be(2, (b) => b.writeInt16BE(x as number));
      case 'uint16':
        return be(2, (b) => b.writeUInt16BE(x as number));
      case 'int32':
        return be(4, (b) => b.writeInt32BE(x as number));
      case 'int64':
        return be(8, (b) => b.writeBigInt64BE(x as bigint));
      case 'float64':
        return be(8, (b) => b.writeDoubleBE(x as number));
      case 'uuid':
        return Buffer.from((x as string).replace(/-/g, ''), 'hex');
      case 'string': {
        if (x === null) return lengthPrefix(null, compact, 2);
        const s = Buffer.from(x as string, 'utf8');
        return Buffer.concat([lengthPrefix(s.length, compact, 2), s]);
      }
      case 'bytes':
      case 'records': {
        if (x === null) return lengthPrefix(null, compact, 4);
        const b = x as Buffer;
        return Buffer.concat([lengthPrefix(b.length, compact, 4), b]);
      }
      default:
        throw new Error(`not a primitive: ${t}`);
    }
  };

  const fieldBytes = (f: FieldSpec, x: unknown, compact: boolean): Buffer => {
    if (f.type.startsWith('[]')) {
      const elem = f.type.slice(2);
      if (x === null) return lengthPrefix(null, compact, 4);
      const a = x as unknown[];
      const items = a.map((e) => (PRIMITIVES.has(elem) ? primitiveBytes(elem, e, compact) : structBytes(structFields(spec, f), e as Record<string, unknown>)));
      return Buffer.concat([lengthPrefix(a.length, compact, 4), ...items]);
    }
    if (PRIMITIVES.has(f.type)) return primitiveBytes(f.type, x, compact);
    if (x === null) return Buffer.from([0xff]);
    const body = structBytes(structFields(spec, f), x as Record<string, unknown>);
    return within(f.nullableVersions, version) ? Buffer.concat([Buffer.from([1]), body]) : body;
  };

  const structBytes = (fields: FieldSpec[], v: Record<string, unknown>): Buffer => {
    const out: Buffer[] = [];
    const tagged: { tag: number; bytes: Buffer }[] = [];
    for (const f of fields) {
      if (!within(f.versions, version)) continue;
      const x = v[camel(f.name)];
      if (f.tag !== undefined && within(f.taggedVersions, version)) {
        if (!sameAsDefault(x, fieldDefault(spec, f))) tagged.push({ tag: f.tag, bytes: fieldBytes(f, x, true) });
        continue;
      }
      const compact = f.flexibleVersions ? within(f.flexibleVersions, version) : flexible;
      out.push(fieldBytes(f, x, compact));
    }
    if (flexible) {
      tagged.sort((a, b) => a.tag - b.tag);
      out.push(uvarintBytes(tagged.length));
      for (const t of tagged) out.push(uvarintBytes(t.tag), uvarintBytes(t.bytes.length), t.bytes);
    }
    return Buffer.concat(out);
  };

  parts.push(structBytes(spec.fields, value));
  return Buffer.concat(parts);
}
