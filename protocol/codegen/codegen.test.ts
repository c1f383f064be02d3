// The committed protocol/messages/ must be exactly what the generator makes from
// Kafka's specs. Needs ../shared/kafka-message-specs; a clone without it skips
// this one test and says why.
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from './generate.js';

const here = dirname(fileURLToPath(import.meta.url));
const specDir = join(here, '../../../shared/kafka-message-specs');
const committedDir = join(here, '../messages');
const haveSpecs = existsSync(specDir);
if (!haveSpecs) {
  process.stderr.write(`codegen test stands aside: ${specDir} is not here (it is in CI and every developer checkout)\n`);
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? listFiles(p) : [p];
  });
}

describe('generated codecs', () => {
  it.skipIf(!haveSpecs)('match a fresh generation from the specs', () => {
    const fresh = generate(specDir);
    const committed = new Map(listFiles(committedDir).map((p) => [relative(committedDir, p), readFileSync(p, 'utf8')]));
    expect([...committed.keys()].sort()).toEqual([...fresh.keys()].sort());
    for (const [rel, text] of fresh) {
      expect(committed.get(rel), `protocol/messages/${rel} differs: run npm run gen`).toBe(text);
    }
  });

  it('cover all 88 APIs, keys 0 to 87', async () => {
    const { ALL_APIS } = await import('../messages/index.js');
    expect(ALL_APIS.map((a) => a.apiKey)).toEqual(Array.from({ length: 88 }, (_, i) => i));
  });

  it('name every API in the light name table as its codec does', async () => {
    const { ALL_APIS } = await import('../messages/index.js');
    const { API_NAMES } = await import('../messages/api-names.js');
    expect(API_NAMES).toEqual(ALL_APIS.map((a) => a.name));
  });
});
