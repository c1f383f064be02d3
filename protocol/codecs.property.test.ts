// Round-trip properties for every generated codec: all 88 APIs (request and
// response, every valid version), the request/response headers, the data schemas
// and the coordinator records. Values come from Kafka's JSON specs through
// codecs.arbitrary.ts, not from the generated code, so the generator is checked
// against the specs rather than against itself:
//   the generated encoder writes exactly the bytes of a naive spec interpreter
//   (referenceEncode: wire rules applied field by field at run time), decode
//   gives the value back (Buffers compare by bytes), the decoder consumes exactly
//   the frame, and re-encoding the decoded value gives the same bytes.
// Needs ../shared/kafka-message-specs; without it the suite stands aside and says why.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Reader } from './reader.js';
import { Writer } from './writer.js';
import { loadSpecMessages, messageArbitrary, referenceEncode, SPEC_DIR } from './codecs.arbitrary.js';
import type { MessageCodec } from './codec-runtime.js';

const all = loadSpecMessages();
if (!all) process.stderr.write(`codec property tests stand aside: ${SPEC_DIR} is not here\n`);

/** Runs per message version; ~1000 message versions keep the suite within seconds. */
const RUNS = Number(process.env.CODEC_PROPERTY_RUNS ?? 40);

function encode(codec: MessageCodec<unknown>, value: unknown, version: number): Buffer {
  const w = new Writer(64);
  codec.write(w, value as never, version);
  return w.toBuffer();
}

describe.skipIf(!all)('codec round trips over every message x version', () => {
  for (const m of all ?? []) {
    describe(m.label, () => {
      it.each(m.versions)(`v%i: encode matches the spec, decode(encode(x)) = x, re-encoding is byte-identical`, (version) => {
        fc.assert(
          fc.property(messageArbitrary(m.spec, version), (value) => {
            const bytes = encode(m.codec, value, version);
            expect(bytes.toString('hex')).toBe(referenceEncode(m.spec, value, version).toString('hex'));
            const r = new Reader(bytes);
            const decoded = m.codec.read(r, version);
            expect(r.remaining).toBe(0);
            expect(decoded).toEqual(value);
            expect(encode(m.codec, decoded, version).equals(bytes)).toBe(true);
          }),
          { numRuns: RUNS },
        );
      });
    });
  }

  it('covers every API key 0..87 in both directions', () => {
    const keys = new Set((all ?? []).filter((m) => m.spec.type === 'request' || m.spec.type === 'response').map((m) => `${m.spec.type}:${m.spec.apiKey}`));
    expect(keys.size).toBe(88 * 2);
  });
});
