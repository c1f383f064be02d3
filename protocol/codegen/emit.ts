// Turns one message spec into TypeScript: an interface per struct, and read,
// write and default functions that branch on the version with plain ifs.
import type { FieldSpec, MessageSpec, StructSpec, VersionRange } from './spec.js';

const PRIMITIVES = new Set(['bool', 'int8', 'int16', 'int32', 'int64', 'uint16', 'uuid', 'float64', 'string', 'bytes', 'records']);

interface Struct {
  tsName: string;
  fields: FieldSpec[];
}

export function camel(name: string): string {
  return name[0].toLowerCase() + name.slice(1);
}

function isEmpty(r: VersionRange): boolean {
  return r.max < r.min;
}

/** The TS condition for "version in r" within the message's valid versions, folded when constant. */
function inRange(r: VersionRange, valid: VersionRange): string {
  // `valid` is the range the code runs in: the message's versions, narrowed to a field's where known.
  if (isEmpty(r) || r.max < valid.min || r.min > valid.max) return 'false';
  const parts: string[] = [];
  if (r.min > valid.min) parts.push(`version >= ${r.min}`);
  if (r.max < valid.max) parts.push(`version <= ${r.max}`);
  return parts.length === 0 ? 'true' : parts.join(' && ');
}

function sel(cond: string, a: string, b: string): string {
  if (cond === 'true') return a;
  if (cond === 'false') return b;
  return `(${cond} ? ${a} : ${b})`;
}

function and(a: string, b: string): string {
  if (a === 'false' || b === 'false') return 'false';
  if (a === 'true') return b;
  if (b === 'true') return a;
  return `${a} && ${b}`;
}

function not(c: string): string {
  if (c === 'true') return 'false';
  if (c === 'false') return 'true';
  return `!(${c})`;
}

export class MessageEmitter {
  private structs = new Map<string, Struct>();
  private order: Struct[] = [];
  private valid: VersionRange;

  constructor(private spec: MessageSpec) {
    this.valid = spec.validVersions;
    this.register(spec.name, spec.fields, true);
  }

  private common(name: string): StructSpec | undefined {
    return this.spec.commonStructs.find((s) => s.name === name);
  }

  private register(typeName: string, fields: FieldSpec[], top = false): void {
    const tsName = top || typeName.startsWith(this.spec.name) ? typeName : `${this.spec.name}${typeName}`;
    if (this.structs.has(typeName)) return;
    const s: Struct = { tsName, fields };
    this.structs.set(typeName, s);
    this.order.push(s);
    for (const f of fields) {
      const elem = f.type.startsWith('[]') ? f.type.slice(2) : f.type;
      if (PRIMITIVES.has(elem)) continue;
      const sub = f.fields ?? this.common(elem)?.fields;
      if (!sub) throw new Error(`${this.spec.name}: struct type ${elem} has no fields`);
      this.register(elem, sub);
    }
  }

  private struct(typeName: string): Struct {
    const s = this.structs.get(typeName);
    if (!s) throw new Error(`${this.spec.name}: unknown struct ${typeName}`);
    return s;
  }

  // ---- types ---------------------------------------------------------------

  private baseTsType(t: string): string {
    switch (t) {
      case 'bool':
        return 'boolean';
      case 'int8':
      case 'int16':
      case 'int32':
      case 'uint16':
      case 'float64':
        return 'number';
      case 'int64':
        return 'bigint';
      case 'uuid':
      case 'string':
        return 'string';
      case 'bytes':
        return 'Buffer';
      case 'records':
        return 'Records';
      default:
        return this.struct(t).tsName;
    }
  }

  private tsType(f: FieldSpec): string {
    const nullable = !isEmpty(f.nullableVersions) && f.type !== 'records';
    const base = f.type.startsWith('[]') ? `${this.baseTsType(f.type.slice(2))}[]` : this.baseTsType(f.type);
    return nullable ? `${base} | null` : base;
  }

  // ---- defaults ------------------------------------------------------------

  private defaultExpr(f: FieldSpec): string {
    const d = f.default;
    if (d === 'null') return 'null';
    if (f.type.startsWith('[]')) return '[]';
    switch (f.type) {
      case 'bool':
        return d === 'true' ? 'true' : 'false';
      case 'int8':
      case 'int16':
      case 'int32':
      case 'uint16':
      case 'float64':
        return d === undefined || d === '' ? '0' : String(Number(d));
      case 'int64':
        return `${d === undefined || d === '' ? 0n : BigInt(d)}n`;
      case 'string':
        return JSON.stringify(d ?? '');
      case 'uuid':
        return 'ZERO_UUID';
      case 'bytes':
        return 'EMPTY_BUFFER';
      case 'records':
        return 'null';
      default:
        return `default${this.struct(f.type).tsName}()`;
    }
  }

  /** Condition that `x` (a complete value, never undefined) equals the field default. */
  private isDefaultExpr(f: FieldSpec, x: string): string {
    const d = this.defaultExpr(f);
    if (d === 'null') return `${x} === null`;
    if (f.type.startsWith('[]') || f.type === 'bytes') return `(${x} !== null && ${x}.length === 0)`;
    if (PRIMITIVES.has(f.type)) return `${x} === ${d}`;
    return `matchesDefault(${x}, ${d})`;
  }

  /**
   * The encoder's value for field f: the input, or the default when the input
   * leaves the field out. `??` would also replace an explicit null, so a nullable
   * field whose default is not null (most nullable strings default to "") tests
   * for undefined only: null must reach the wire as null.
   */
  private inputOrDefault(f: FieldSpec, input: string): string {
    const d = this.defaultExpr(f);
    const canBeNull = !isEmpty(f.nullableVersions) && f.type !== 'records';
    if (canBeNull && d !== 'null') return `(${input} === undefined ? ${d} : ${input})`;
    return `${input} ?? ${d}`;
  }

  // ---- reading -------------------------------------------------------------

  private readPrimitive(t: string, nc: string, fc: string): string {
    switch (t) {
      case 'bool':
        return 'r.bool()';
      case 'int8':
      case 'int16':
      case 'int32':
      case 'uint16':
      case 'int64':
      case 'float64':
      case 'uuid':
        return `r.${t}()`;
      case 'string':
        return sel(fc, sel(nc, 'r.compactNullableString()', 'r.compactString()'), sel(nc, 'r.nullableString()', 'r.string()'));
      case 'bytes':
        return sel(fc, sel(nc, 'r.compactNullableBytes()', 'r.compactBytes()'), sel(nc, 'r.nullableBytes()', 'r.bytes()'));
      case 'records':
        return sel(fc, 'r.compactNullableBytes()', 'r.nullableBytes()');
      default:
        throw new Error(`not a primitive: ${t}`);
    }
  }

  /** Statements that read field f into variable `v` (declared by the caller). */
  private readInto(f: FieldSpec, v: string, fc: string, indent: string): string[] {
    const nc = inRange(f.nullableVersions, this.fieldRange(f));
    if (f.type.startsWith('[]')) {
      const elem = f.type.slice(2);
      const elemRead = PRIMITIVES.has(elem)
        ? this.readPrimitive(elem, 'false', fc)
        : `read${this.struct(elem).tsName}(r, version)`;
      return [
        `${indent}{`,
        `${indent}  const n = ${sel(fc, 'r.compactArrayLength()', 'r.arrayLength()')};`,
        `${indent}  if (n < 0) {`,
        ...(nc === 'true'
          ? [`${indent}    ${v} = null;`]
          : nc === 'false'
            ? [`${indent}    throw new DecodeError('null array for non-nullable field ${f.name}');`]
            : [`${indent}    if (!(${nc})) throw new DecodeError('null array for non-nullable field ${f.name}');`, `${indent}    ${v} = null;`]),
        `${indent}  } else {`,
        `${indent}    const a: ${this.baseTsType(elem)}[] = [];`,
        `${indent}    for (let i = 0; i < n; i++) a.push(${elemRead});`,
        `${indent}    ${v} = a;`,
        `${indent}  }`,
        `${indent}}`,
      ];
    }
    if (PRIMITIVES.has(f.type)) return [`${indent}${v} = ${this.readPrimitive(f.type, nc, fc)};`];
    const read = `read${this.struct(f.type).tsName}(r, version)`;
    if (nc === 'false') return [`${indent}${v} = ${read};`];
    return [`${indent}${v} = ${and(nc, 'r.int8() < 0')} ? null : ${read};`];
  }

  // ---- writing -------------------------------------------------------------

  private writePrimitive(t: string, x: string, nc: string, fc: string): string {
    switch (t) {
      case 'bool':
      case 'int8':
      case 'int16':
      case 'int32':
      case 'uint16':
      case 'int64':
      case 'float64':
      case 'uuid':
        return `w.${t}(${x});`;
      case 'string': {
        const y = nc === 'false' ? x : `${x} as string`;
        return sel(fc, sel(nc, `w.compactNullableString(${x})`, `w.compactString(${y})`), sel(nc, `w.nullableString(${x})`, `w.string(${y})`)) + ';';
      }
      case 'bytes': {
        const y = nc === 'false' ? x : `${x} as Buffer`;
        return sel(fc, sel(nc, `w.compactNullableBytes(${x})`, `w.compactBytes(${y})`), sel(nc, `w.nullableBytes(${x})`, `w.bytes(${y})`)) + ';';
      }
      case 'records':
        return `w.records(${x}, ${fc});`;
      default:
        throw new Error(`not a primitive: ${t}`);
    }
  }

  /** Statements writing the complete value `x` of field f. */
  private writeValue(f: FieldSpec, x: string, fc: string, indent: string): string[] {
    const nc = inRange(f.nullableVersions, this.fieldRange(f));
    const out: string[] = [];
    const canBeNull = !isEmpty(f.nullableVersions) && f.type !== 'records';
    if (canBeNull && nc !== 'true') {
      out.push(`${indent}if (${x} === null${nc === 'false' ? '' : ` && !(${nc})`}) throw new EncodeError('${this.spec.name}.${f.name} cannot be null in version ' + version);`);
    }
    if (f.type.startsWith('[]')) {
      const elem = f.type.slice(2);
      const elemWrite = PRIMITIVES.has(elem)
        ? this.writePrimitive(elem, 'e', 'false', fc)
        : `write${this.struct(elem).tsName}(w, e, version);`;
      const lenWrite = sel(fc, `w.uvarint(${x}.length + 1)`, `w.int32(${x}.length)`) + ';';
      if (canBeNull) {
        out.push(`${indent}if (${x} === null) ${sel(fc, 'w.uvarint(0)', 'w.int32(-1)')};`);
        out.push(`${indent}else {`);
      } else {
        out.push(`${indent}{`);
      }
      out.push(`${indent}  ${lenWrite}`, `${indent}  for (const e of ${x}) ${elemWrite}`, `${indent}}`);
      return out;
    }
    if (PRIMITIVES.has(f.type)) {
      out.push(`${indent}${this.writePrimitive(f.type, x, canBeNull ? nc : 'false', fc)}`);
      return out;
    }
    const write = `write${this.struct(f.type).tsName}(w, ${x}, version);`;
    if (canBeNull) {
      // The presence marker exists only in the versions where the field is nullable.
      const marker = nc === 'true' ? ['w.int8(1);'] : nc === 'false' ? [] : [`if (${nc}) w.int8(1);`];
      out.push(`${indent}if (${x} === null) w.int8(-1);`, `${indent}else {`, ...marker.map((m) => `${indent}  ${m}`), `${indent}  ${write}`, `${indent}}`);
    } else {
      out.push(`${indent}${write}`);
    }
    return out;
  }

  /** The versions in which code for f runs: the message's, narrowed to the field's. */
  private fieldRange(f: FieldSpec): VersionRange {
    return { min: Math.max(this.valid.min, f.versions.min), max: Math.min(this.valid.max, f.versions.max) };
  }

  // ---- structs ---------------------------------------------------------------

  private fieldFlex(f: FieldSpec, msgFlex: string): string {
    return f.flexibleVersions ? inRange(f.flexibleVersions, this.valid) : msgFlex;
  }

  private emitStruct(s: Struct): string {
    const valid = this.valid;
    const msgFlex = inRange(this.spec.flexibleVersions, valid);
    const flexVar = msgFlex === 'true' || msgFlex === 'false' ? msgFlex : 'flex';
    const lines: string[] = [];
    const fields = s.fields;
    const tagged = fields
      .filter((f) => f.tag !== undefined && inRange(f.taggedVersions, valid) !== 'false')
      .sort((a, b) => (a.tag as number) - (b.tag as number));

    // interface
    lines.push(`export interface ${s.tsName} {`);
    for (const f of fields) {
      const notes: string[] = [];
      if (f.about) notes.push(f.about);
      notes.push(`Versions ${fmtRange(f.versions)}${f.tag !== undefined ? `, tagged (tag ${f.tag})` : ''}.`);
      lines.push(`  /** ${notes.join(' ').replace(/\*\//g, '* /')} */`);
      lines.push(`  ${camel(f.name)}: ${this.tsType(f)};`);
    }
    lines.push('}', '');

    // default
    lines.push(`export function default${s.tsName}(): ${s.tsName} {`);
    lines.push(`  return {`);
    for (const f of fields) lines.push(`    ${camel(f.name)}: ${this.defaultExpr(f)},`);
    lines.push('  };', '}', '');

    // read
    lines.push(`export function read${s.tsName}(r: Reader, version: number): ${s.tsName} {`);
    if (flexVar === 'flex') lines.push(`  const flex = ${msgFlex};`);
    for (const f of fields) {
      const v = `f_${camel(f.name)}`;
      const present = inRange(regularVersions(f), valid);
      const alwaysRead = present === 'true' && inRange(f.taggedVersions, valid) === 'false';
      lines.push(`  let ${v}: ${this.tsType(f)}${alwaysRead ? '' : ` = ${this.defaultExpr(f)}`};`);
      if (present === 'false') continue;
      const body = this.readInto(f, v, this.fieldFlex(f, flexVar), present === 'true' ? '  ' : '    ');
      if (present === 'true') lines.push(...body);
      else lines.push(`  if (${present}) {`, ...body, '  }');
    }
    if (flexVar !== 'false') {
      const open = flexVar === 'true' ? [] : ['  if (flex) {'];
      const ind = flexVar === 'true' ? '  ' : '    ';
      lines.push(...open);
      if (tagged.length === 0) {
        lines.push(`${ind}r.taggedFields();`);
      } else {
        lines.push(`${ind}r.taggedFields((tag, r) => {`, `${ind}  switch (tag) {`);
        for (const f of tagged) {
          const v = `f_${camel(f.name)}`;
          const tc = inRange(f.taggedVersions, valid);
          lines.push(`${ind}    case ${f.tag}:`);
          const body = this.readInto(f, v, 'true', `${ind}      ${tc === 'true' ? '' : '  '}`);
          if (tc === 'true') lines.push(...body);
          else lines.push(`${ind}      if (${tc}) {`, ...body, `${ind}      }`);
          lines.push(`${ind}      break;`);
        }
        lines.push(`${ind}  }`, `${ind}});`);
      }
      if (open.length) lines.push('  }');
    }
    lines.push(`  return {`);
    for (const f of fields) lines.push(`    ${camel(f.name)}: f_${camel(f.name)},`);
    lines.push('  };', '}', '');

    // write
    lines.push(`export function write${s.tsName}(w: Writer, v: EncodeInput<${s.tsName}>, version: number): void {`);
    if (flexVar === 'flex') lines.push(`  const flex = ${msgFlex};`);
    for (const f of fields) {
      const name = camel(f.name);
      const present = inRange(regularVersions(f), valid);
      const x = this.inputOrDefault(f, `v.${name}`);
      const body = (ind: string) => {
        const needsVar = f.type.startsWith('[]') || (!isEmpty(f.nullableVersions) && f.type !== 'records') || !PRIMITIVES.has(f.type);
        if (!needsVar) return this.writeValue(f, `(${x})`, this.fieldFlex(f, flexVar), ind);
        return [`${ind}const x = ${x};`, ...this.writeValue(f, 'x', this.fieldFlex(f, flexVar), ind)];
      };
      const inTagged = inRange(f.taggedVersions, valid);
      const check = f.ignorable
        ? []
        : [`if (v.${name} !== undefined && !matchesDefault(v.${name}, ${this.defaultExpr(f)})) throw new EncodeError('${this.spec.name}.${f.name} is not supported in version ' + version);`];
      if (present === 'true') {
        lines.push('  {', ...body('    '), '  }');
      } else if (present === 'false') {
        if (inTagged === 'false' && check.length) lines.push(`  ${check[0]}`);
      } else {
        lines.push(`  if (${present}) {`, ...body('    '), '  }');
        if (check.length) {
          const absent = inTagged === 'false' ? '' : ` if (!(${inTagged}))`;
          lines.push(`  else${absent} ${check[0]}`);
        }
      }
    }
    if (flexVar !== 'false') {
      const open = flexVar === 'true' ? [] : ['  if (flex) {'];
      const ind = flexVar === 'true' ? '  ' : '    ';
      lines.push(...open);
      if (tagged.length === 0) {
        lines.push(`${ind}w.uvarint(0);`);
      } else {
        lines.push(`${ind}let tagCount = 0;`);
        tagged.forEach((f, i) => {
          const name = camel(f.name);
          const tc = inRange(f.taggedVersions, valid);
          lines.push(`${ind}const t${i} = ${this.inputOrDefault(f, `v.${name}`)};`);
          lines.push(`${ind}const has${i} = ${and(tc, not(this.isDefaultExpr(f, `t${i}`)))};`);
          lines.push(`${ind}if (has${i}) tagCount++;`);
        });
        lines.push(`${ind}w.uvarint(tagCount);`);
        tagged.forEach((f, i) => {
          lines.push(`${ind}if (has${i}) {`);
          lines.push(`${ind}  const x = t${i};`);
          lines.push(`${ind}  writeTaggedField(w, ${f.tag}, (w) => {`);
          lines.push(...this.writeValue(f, 'x', 'true', `${ind}    `));
          lines.push(`${ind}  });`, `${ind}}`);
        });
      }
      if (open.length) lines.push('  }');
    }
    lines.push('}', '');
    return lines.join('\n');
  }

  /** All interfaces and functions of this message, innermost structs last. */
  emit(): string {
    return this.order.map((s) => this.emitStruct(s)).join('\n');
  }
}

/** The versions in which f is a regular (not tagged) field. */
function regularVersions(f: FieldSpec): VersionRange {
  const v = f.versions;
  const t = f.taggedVersions;
  if (isEmpty(t) || t.min > v.max || t.max < v.min) return v;
  if (t.min <= v.min && t.max >= v.max) return { min: 0, max: -1 };
  if (t.max >= v.max) return { min: v.min, max: t.min - 1 };
  throw new Error(`${f.name}: tagged versions ${fmtRange(t)} inside ${fmtRange(v)} are not supported`);
}

export function fmtRange(r: VersionRange): string {
  if (isEmpty(r)) return 'none';
  if (r.max === Infinity) return `${r.min}+`;
  return r.min === r.max ? `${r.min}` : `${r.min}-${r.max}`;
}

export const GENERATED_HEADER = `// GENERATED by protocol/codegen from Kafka's JSON message specs. Do not edit; run \`npm run gen\`.
/* eslint-disable */
`;

export const RUNTIME_IMPORTS = (rel: string) => `import { Reader, DecodeError } from '${rel}reader.js';
import { Writer, EncodeError } from '${rel}writer.js';
import { type EncodeInput, type Records, ZERO_UUID, EMPTY_BUFFER, matchesDefault, writeTaggedField } from '${rel}codec-runtime.js';
`;
