// Reads Kafka's JSON message specs (JSON with // comments) into a small model.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export interface VersionRange {
  min: number;
  /** Infinity for an open range ("3+"). */
  max: number;
}

export const NO_VERSIONS: VersionRange = { min: 0, max: -1 };

export interface FieldSpec {
  name: string;
  type: string;
  versions: VersionRange;
  nullableVersions: VersionRange;
  taggedVersions: VersionRange;
  tag?: number;
  ignorable: boolean;
  default?: string;
  /** A field-level override of the message's flexible versions (RequestHeader.ClientId). */
  flexibleVersions?: VersionRange;
  about?: string;
  fields?: FieldSpec[];
}

export interface StructSpec {
  name: string;
  fields: FieldSpec[];
}

export interface MessageSpec {
  file: string;
  name: string;
  type: 'request' | 'response' | 'header' | 'data';
  apiKey?: number;
  validVersions: VersionRange;
  flexibleVersions: VersionRange;
  deprecatedVersions?: VersionRange;
  fields: FieldSpec[];
  commonStructs: StructSpec[];
}

export function parseVersions(s: string | undefined, fallback: VersionRange = NO_VERSIONS): VersionRange {
  if (s === undefined) return fallback;
  s = s.trim();
  if (s === 'none') return NO_VERSIONS;
  if (s.endsWith('+')) return { min: Number(s.slice(0, -1)), max: Infinity };
  const dash = s.indexOf('-');
  if (dash > 0) return { min: Number(s.slice(0, dash)), max: Number(s.slice(dash + 1)) };
  return { min: Number(s), max: Number(s) };
}

/** Removes // comments that are outside of strings. */
export function stripComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i];
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else {
      out += c;
    }
  }
  return out;
}

interface RawField {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  ignorable?: boolean;
  default?: string | number | boolean;
  flexibleVersions?: string;
  about?: string;
  fields?: RawField[];
}

function toField(raw: RawField): FieldSpec {
  return {
    name: raw.name,
    type: raw.type,
    versions: parseVersions(raw.versions),
    nullableVersions: parseVersions(raw.nullableVersions),
    taggedVersions: parseVersions(raw.taggedVersions),
    tag: raw.tag,
    ignorable: raw.ignorable === true,
    default: raw.default === undefined ? undefined : String(raw.default),
    flexibleVersions: raw.flexibleVersions === undefined ? undefined : parseVersions(raw.flexibleVersions),
    about: raw.about,
    fields: raw.fields?.map(toField),
  };
}

export function readSpec(path: string, file: string): MessageSpec {
  const raw = JSON.parse(stripComments(readFileSync(path, 'utf8')));
  return {
    file,
    name: raw.name,
    type: raw.type,
    apiKey: raw.apiKey,
    validVersions: parseVersions(raw.validVersions),
    flexibleVersions: parseVersions(raw.flexibleVersions),
    deprecatedVersions: raw.deprecatedVersions ? parseVersions(raw.deprecatedVersions) : undefined,
    fields: (raw.fields ?? []).map(toField),
    commonStructs: (raw.commonStructs ?? []).map((s: { name: string; fields: RawField[] }) => ({
      name: s.name,
      fields: s.fields.map(toField),
    })),
  };
}

export function readSpecDir(dir: string): MessageSpec[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => readSpec(join(dir, f), f));
}
