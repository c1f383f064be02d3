// `npm run gen`: regenerates protocol/messages/ from Kafka's JSON message specs.
// Usage: tsx protocol/codegen/main.ts [--specs DIR] [--out DIR]
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from './generate.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const specs = resolve(opt('--specs', join(here, '../../../shared/kafka-message-specs')));
const out = resolve(opt('--out', join(here, '../messages')));

const files = generate(specs);
rmSync(out, { recursive: true, force: true });
for (const [rel, text] of files) {
  const path = join(out, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
process.stdout.write(`generated ${files.size} files into ${out}\n`);
