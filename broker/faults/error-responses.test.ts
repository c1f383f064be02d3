// Every served API has an error response built from its request, and it encodes
// at every served version: requests come from Kafka's JSON specs (arbitrary values
// at each version), each builder's answer is encoded with the generated codec,
// decoded back, and the injected code is the only error code in it.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadSpecMessages, messageArbitrary, referenceEncode } from '../../protocol/codecs.arbitrary.js';
import { Reader } from '../../protocol/reader.js';
import { Writer } from '../../protocol/writer.js';
import { ErrorCode } from '../../protocol/errors.js';
import { HANDLERS } from '../handlers/index.js';
import { errorResponse, hasErrorResponse } from './error-responses.js';

const specs = loadSpecMessages();
const CODE = ErrorCode.NOT_LEADER_OR_FOLLOWER;

/** Every `errorCode` in a decoded message, at any depth. */
function errorCodes(value: unknown, out: number[] = []): number[] {
  if (Array.isArray(value)) for (const v of value) errorCodes(v, out);
  else if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const [k, v] of Object.entries(value)) {
      // AddPartitionsToTxn v0-3 names its only code partitionErrorCode.
      if (k === 'errorCode' || k === 'partitionErrorCode') out.push(v as number);
      else errorCodes(v, out);
    }
  }
  return out;
}

describe('error responses', () => {
  it('the spec directory is here (the arbitraries are built from it)', () => {
    expect(specs).not.toBeNull();
  });

  for (const handler of HANDLERS) {
    const { api } = handler;
    it(`${api.name} (${api.apiKey}): the error response encodes at v${handler.minVersion}-${handler.maxVersion} and carries the code`, () => {
      expect(hasErrorResponse(api.apiKey)).toBe(true);
      const spec = specs?.find((m) => m.spec.type === 'request' && m.spec.apiKey === api.apiKey)?.spec;
      expect(spec).toBeDefined();
      for (let v = handler.minVersion; v <= handler.maxVersion; v++) {
        let carried = 0;
        for (const value of fc.sample(messageArbitrary(spec!, v), { numRuns: 12, seed: 42 + v })) {
          const request = api.request.read(new Reader(referenceEncode(spec!, value, v)), v);
          const w = new Writer();
          api.response.write(w, errorResponse(api.apiKey, request, v, CODE) as never, v);
          const decoded = api.response.read(new Reader(w.toBuffer()), v);
          // A field the version lacks decodes as its default, 0: nothing else but the injected code may appear.
          const codes = errorCodes(decoded);
          expect(codes.every((c) => c === CODE || c === 0), `${api.name} v${v}: ${codes}`).toBe(true);
          if (codes.includes(CODE)) carried++;
        }
        expect(carried, `${api.name} v${v}: no sample carried the error code`).toBeGreaterThan(0);
      }
    });
  }
});
