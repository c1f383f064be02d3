// Small shared pieces of the generated codecs.
import { Writer } from './writer.js';

/** Record data: decoded as one slice of the frame; may be encoded from several slices. */
export type Records = Buffer | readonly Buffer[] | null;

/**
 * What an encoder accepts: the message type with every field optional. A missing
 * field takes its schema default, so a handler only names what it means.
 */
export type EncodeInput<T> = T extends Buffer
  ? T
  : T extends readonly (infer E)[]
    ? readonly EncodeInput<E>[]
    : T extends object
      ? { [K in keyof T]?: EncodeInput<T[K]> }
      : T;

export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * Whether an encoder input equals a schema default: keys the input leaves out
 * count as default. Used only for tagged fields and for fields a version lacks.
 */
export function matchesDefault(input: unknown, def: unknown): boolean {
  if (input === undefined || input === def) return true;
  if (input === null || def === null || typeof input !== 'object' || typeof def !== 'object') return false;
  if (Buffer.isBuffer(input) || Buffer.isBuffer(def)) {
    return Buffer.isBuffer(input) && Buffer.isBuffer(def) && input.equals(def);
  }
  if (Array.isArray(input) || Array.isArray(def)) {
    if (!Array.isArray(input) || !Array.isArray(def) || input.length !== def.length) return false;
    return input.every((x, i) => matchesDefault(x, def[i]));
  }
  const d = def as Record<string, unknown>;
  return Object.entries(input as object).every(([k, x]) => matchesDefault(x, d[k]));
}

export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);

/** One API's codecs and version facts, as the generator emits them. */
export interface ApiCodec<Req, Res> {
  readonly apiKey: number;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** First flexible version, or -1 when the API has none. */
  readonly firstFlexibleVersion: number;
  readonly request: MessageCodec<Req>;
  readonly response: MessageCodec<Res>;
}

export interface MessageCodec<T> {
  readonly name: string;
  read(r: import('./reader.js').Reader, version: number): T;
  write(w: import('./writer.js').Writer, v: EncodeInput<T>, version: number): void;
}

/** Writes one tagged field: tag, size, then the value the callback writes. */
export function writeTaggedField(w: Writer, tag: number, write: (w: Writer) => void): void {
  const sub = new Writer(64);
  write(sub);
  w.uvarint(tag).uvarint(sub.length);
  for (const b of sub.toBuffers()) w.raw(b);
}
