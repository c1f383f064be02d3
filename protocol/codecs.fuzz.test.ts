// Fuzzing every generated decoder: all 88 APIs (request and response, every valid
// version), the headers, the data schemas and the coordinator records get
// truncated, bit-flipped, length-bombed and purely random frames. A decoder may
// succeed or throw DecodeError; anything else escaping (RangeError, TypeError,
// EncodeError, ...) is a bug. No decode may take long, and a length field that
// claims more than the frame holds must be refused before anything is allocated.
//
// Valid frames to start from: the defaults of every message version (always), plus
// values generated from Kafka's JSON specs (when ../shared/kafka-message-specs is
// here). Random choices come from a seeded generator; a failure names the seed,
// and FUZZ_SEED=<seed> replays it.
import { prng } from '../test/support/prng.js';
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Reader, DecodeError } from './reader.js';
import { Writer } from './writer.js';
import type { MessageCodec } from './codec-runtime.js';
import { ALL_APIS } from './messages/index.js';
import * as messages from './messages/index.js';
import { loadSpecMessages, messageArbitrary, SPEC_DIR } from './codecs.arbitrary.js';
import type { MessageSpec } from './codegen/spec.js';

const SEED = Number(process.env.FUZZ_SEED ?? (Date.now() % 0x7fffffff));


interface Target {
  label: string;
  codec: MessageCodec<unknown>;
  versions: number[];
  spec?: MessageSpec;
}

/** Every decoder, found through the generated code so this suite runs even without the specs. */
const SPECS = loadSpecMessages();
if (!SPECS) process.stderr.write(`codec fuzzing starts from defaults only: ${SPEC_DIR} is not here\n`);

function targets(): Target[] {
  const specs = SPECS;
  const bySpec = new Map((specs ?? []).map((m) => [m.label, m]));
  const out: Target[] = [];
  const range = (min: number, max: number) => Array.from({ length: max - min + 1 }, (_, i) => min + i);
  for (const api of ALL_APIS) {
    for (const kind of ['request', 'response'] as const) {
      const label = `${api.name} ${kind}`;
      out.push({ label, codec: api[kind], versions: range(api.minVersion, api.maxVersion), spec: bySpec.get(label)?.spec });
    }
  }
  // Headers, data schemas and coordinator records: every exported XCodec with an XVersions range.
  const mod = messages as unknown as Record<string, unknown>;
  for (const [name, value] of Object.entries(mod)) {
    if (!name.endsWith('Codec') || name.endsWith('RequestCodec') || name.endsWith('ResponseCodec')) continue;
    const base = name.slice(0, -'Codec'.length);
    const versions = mod[`${base}Versions`] as { min: number; max: number } | undefined;
    if (!versions) continue;
    out.push({ label: base, codec: value as MessageCodec<unknown>, versions: range(versions.min, versions.max), spec: bySpec.get(base)?.spec });
  }
  return out;
}

const ALL = targets();

function encode(codec: MessageCodec<unknown>, value: unknown, version: number): Buffer {
  const w = new Writer(64);
  codec.write(w, value as never, version);
  return w.toBuffer();
}

/** A hang guard, not a speed check: real decodes of these frames take microseconds. */
const SLOW_MS = 2000;

type Outcome = 'ok' | 'refused';

function decodeOnce(t: Target, version: number, frame: Buffer, what: string): Outcome {
  try {
    t.codec.read(new Reader(frame), version);
    return 'ok';
  } catch (e) {
    if (e instanceof DecodeError) return 'refused';
    const err = e as Error;
    throw new Error(
      `${t.label} v${version}, ${what}: ${err?.name}: ${err?.message} escaped instead of a DecodeError ` +
        `(frame ${frame.toString('hex')}, FUZZ_SEED=${SEED})`,
      { cause: e },
    );
  }
}

function decode(t: Target, version: number, frame: Buffer, what: string): Outcome {
  let started = performance.now();
  const outcome = decodeOnce(t, version, frame, what);
  let took = performance.now() - started;
  // A busy machine or a GC pause can stall one run; a real hang or blow-up is slow every time.
  for (let retry = 0; took > SLOW_MS && retry < 2; retry++) {
    started = performance.now();
    decodeOnce(t, version, frame, what);
    took = Math.min(took, performance.now() - started);
  }
  if (took > SLOW_MS) throw new Error(`${t.label} v${version}, ${what}: decode took ${took.toFixed(1)} ms (frame of ${frame.length} bytes, FUZZ_SEED=${SEED})`);
  return outcome;
}

/** Positions to mutate: all of them for small frames, a spread for large ones. */
function positions(length: number, rand: () => number, max = 160): number[] {
  if (length <= max) return Array.from({ length }, (_, i) => i);
  const set = new Set<number>();
  for (let i = 0; i < 32; i++) set.add(i), set.add(length - 1 - i);
  while (set.size < max) set.add(Math.floor(rand() * length));
  return [...set].sort((a, b) => a - b);
}

function overwrite(frame: Buffer, at: number, bytes: number[]): Buffer {
  const b = Buffer.from(frame);
  for (let i = 0; i < bytes.length && at + i < b.length; i++) b[at + i] = bytes[i];
  return b;
}

// Length bombs: the largest int16 string length, int32 array/bytes length, and
// unsigned varint (compact length 2^32-1, i.e. 2^32-2 elements).
const INT16_MAX = [0x7f, 0xff];
const INT32_MAX = [0x7f, 0xff, 0xff, 0xff];
const UVARINT_MAX = [0xff, 0xff, 0xff, 0xff, 0x0f];

function seeds(t: Target, version: number, rand: () => number): Buffer[] {
  const out = [encode(t.codec, {}, version)];
  if (t.spec) {
    const samples = fc.sample(messageArbitrary(t.spec, version), { numRuns: 4, seed: Math.floor(rand() * 0x7fffffff) });
    for (const s of samples) out.push(encode(t.codec, s, version));
  }
  return out;
}

describe('fuzzed frames into every decoder give a value or a DecodeError, quickly', () => {
  for (const t of ALL) {
    it(`${t.label} (v${t.versions[0]}-v${t.versions[t.versions.length - 1]})`, () => {
      const rand = prng(SEED ^ hash(t.label));
      for (const version of t.versions) {
        for (const frame of seeds(t, version, rand)) {
          expect(decode(t, version, frame, 'valid frame')).toBe('ok');

          // Every strict prefix of a valid frame must be refused: the decoder reads the
          // same bytes in the same order and runs out before the end.
          for (const n of positions(frame.length, rand)) {
            expect(decode(t, version, frame.subarray(0, n), `truncated to ${n} of ${frame.length} bytes`)).toBe('refused');
          }

          for (let i = 0; i < 40; i++) {
            const b = Buffer.from(frame);
            const flips = 1 + Math.floor(rand() * 3);
            for (let k = 0; k < flips && b.length > 0; k++) {
              const bit = Math.floor(rand() * b.length * 8);
              b[bit >> 3] ^= 1 << (bit & 7);
            }
            decode(t, version, b, `${flips} bit(s) flipped`);
          }

          for (const at of positions(frame.length, rand, 48)) {
            decode(t, version, overwrite(frame, at, INT16_MAX), `int16 max at ${at}`);
            decode(t, version, overwrite(frame, at, INT32_MAX), `int32 max at ${at}`);
            decode(t, version, overwrite(frame, at, UVARINT_MAX), `uvarint 2^32-1 at ${at}`);
          }
        }

        // 20-byte frames that are all zeros but for a length bomb somewhere in the head.
        for (let at = 0; at < 16; at++) {
          decode(t, version, overwrite(Buffer.alloc(20), at, INT32_MAX), `20-byte frame, int32 max at ${at}`);
          decode(t, version, overwrite(Buffer.alloc(20), at, UVARINT_MAX), `20-byte frame, uvarint max at ${at}`);
          decode(t, version, overwrite(Buffer.alloc(20, 0xff), at, UVARINT_MAX), `20-byte 0xff frame, uvarint max at ${at}`);
        }

        for (let i = 0; i < 24; i++) {
          const b = Buffer.alloc(Math.floor(rand() * 48));
          for (let k = 0; k < b.length; k++) b[k] = Math.floor(rand() * 256);
          decode(t, version, b, 'random bytes');
        }
      }
    });
  }

  it('reaches every API key, both directions, plus headers and data schemas', () => {
    expect(ALL.filter((t) => t.label.endsWith(' request')).length).toBe(88);
    expect(ALL.filter((t) => t.label.endsWith(' response')).length).toBe(88);
    expect(ALL.map((t) => t.label)).toEqual(expect.arrayContaining(['RequestHeader', 'ResponseHeader', 'ConsumerProtocolSubscription', 'OffsetCommitValue']));
  });
});

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

describe('length fields larger than the frame are refused before allocating', () => {
  // Each case: a 20-byte frame whose first field is a length (or element count)
  // claiming ~2^31 or ~2^32 items/bytes; the rest is zeros.
  const cases: { name: string; codec: MessageCodec<unknown>; version: number; head: number[] }[] = [
    { name: 'DescribeGroups v0 groups: int32 array count 2^31-1', codec: messages.DescribeGroupsApi.request, version: 0, head: INT32_MAX },
    { name: 'DescribeGroups v5 groups: compact array count 2^32-2', codec: messages.DescribeGroupsApi.request, version: 5, head: UVARINT_MAX },
    { name: 'SaslAuthenticate v0 authBytes: int32 byte length 2^31-1', codec: messages.SaslAuthenticateApi.request, version: 0, head: INT32_MAX },
    { name: 'SaslAuthenticate v2 authBytes: compact byte length 2^32-2', codec: messages.SaslAuthenticateApi.request, version: 2, head: UVARINT_MAX },
    { name: 'SaslHandshake v1 mechanism: int16 string length 32767', codec: messages.SaslHandshakeApi.request, version: 1, head: INT16_MAX },
    { name: 'Metadata v9 topics: compact array count 2^32-2', codec: messages.MetadataApi.request, version: 9, head: UVARINT_MAX },
    { name: 'ApiVersions v3 response: int16 error then compact array count 2^32-2', codec: messages.ApiVersionsApi.response, version: 3, head: [0, 0, ...UVARINT_MAX] },
    { name: 'Produce v9: compact nullable transactional id, int16, int32, then compact array 2^32-2', codec: messages.ProduceApi.request, version: 9, head: [0, 0, 1, 0, 0, 0, 0, ...UVARINT_MAX] },
    { name: 'Fetch v4 response: throttle then int32 array count 2^31-1', codec: messages.FetchApi.response, version: 4, head: [0, 0, 0, 0, ...INT32_MAX] },
    { name: 'tagged-field section claiming 2^32-1 fields (Heartbeat v4 response)', codec: messages.HeartbeatApi.response, version: 4, head: [0, 0, 0, 0, 0, 0, ...UVARINT_MAX] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const frame = Buffer.alloc(20);
      Buffer.from(c.head).copy(frame);
      let took = Infinity;
      let grew = Infinity;
      // Best of three, so that a GC pause or a busy machine does not decide the verdict.
      for (let i = 0; i < 3; i++) {
        const before = process.memoryUsage();
        const started = performance.now();
        expect(() => c.codec.read(new Reader(frame), c.version)).toThrow(DecodeError);
        took = Math.min(took, performance.now() - started);
        const after = process.memoryUsage();
        grew = Math.min(grew, Math.max(after.arrayBuffers - before.arrayBuffers, after.heapUsed - before.heapUsed));
      }
      expect(took).toBeLessThan(SLOW_MS);
      // Nothing near the claimed size was allocated (an array of 2^31 slots is 16 GiB).
      expect(grew).toBeLessThan(16 * 1024 * 1024);
    });
  }

  it('a refused length names the claim and what is left', () => {
    const frame = Buffer.alloc(20);
    Buffer.from(INT32_MAX).copy(frame);
    expect(() => messages.DescribeGroupsApi.request.read(new Reader(frame), 0)).toThrow(/2147483647 exceeds the 16 bytes left/);
  });
});
