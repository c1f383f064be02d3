// Issue 10: every row of the config table is read by the code, or it is a fact
// that admits only its default. A row nothing reads is a lie to the user who sets it.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { CONFIG_DEFINITIONS, formatDefault, type ConfigDefinition } from './config.js';
import { startBroker } from './broker.js';
import { TOPICS_FILE } from './cluster-store.js';
import { MemoryFileSystem } from '../storage/fs-memory.js';
import { joinPath, readFileIfExists, writeFileAtomic } from '../storage/fs.js';

const ROOT = join(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sources(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The shipped code's text, with the table itself cut out of broker/config/table.ts. */
function codeText(): string {
  const files = ['broker', 'storage', 'bin', 'protocol', 'testing', 'client'].flatMap((d) => sources(join(ROOT, d)));
  return files
    .map((f) => {
      const text = readFileSync(f, 'utf8');
      if (!f.endsWith(join('broker', 'config', 'table.ts'))) return text;
      // The rows run from the security rows (spread into the table) to the table's end.
      return text.slice(0, text.indexOf('const SECURITY_DEFS = [')) + text.slice(text.lastIndexOf('] as const satisfies'));
    })
    .join('\n');
}

/** Kafka 3.9 validates this deprecated row and then ignores it (message format v2 always); so do we. */
const IGNORED_BY_KAFKA = new Set(['message.format.version']);

/**
 * Kafka elects an out-of-sync replica only when no in-sync one is left; a kafkalite
 * partition's one replica is its leader and always in sync, so both values behave alike.
 */
const SAME_ON_ONE_REPLICA = new Set(['unclean.leader.election.enable']);

/** A row whose only valid value is its default needs no reader: it states a fact. */
function onlyItsDefault(def: ConfigDefinition): boolean {
  if (def.validValues !== undefined) return def.validValues === formatDefault(def);
  return def.range?.min !== undefined && def.range.min === def.range.max && def.range.min === def.default;
}

describe('the config table', () => {
  it('has no row that nothing reads', () => {
    const code = codeText();
    const read = (name: string): boolean => code.includes(`'${name}'`);
    const unread = CONFIG_DEFINITIONS.filter((def) => {
      if (read(def.name) || onlyItsDefault(def) || IGNORED_BY_KAFKA.has(def.name) || SAME_ON_ONE_REPLICA.has(def.name)) return false;
      // A broker row that supplies a topic default is read through that topic row.
      if (def.topicName !== undefined) return !read(def.topicName) && !IGNORED_BY_KAFKA.has(def.topicName);
      return true;
    }).map((d) => d.name);
    expect(unread).toEqual([]);
  });

  it('a data directory holding an override the table now refuses still opens; the override is dropped', async () => {
    const fs = new MemoryFileSystem();
    const first = await startBroker({ fs, dataDir: '/data' });
    const admin1 = new Kafka({ brokers: [first.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin1.connect();
    await admin1.createTopics({ topics: [{ topic: 'old', configEntries: [{ name: 'retention.ms', value: '123456' }] }] });
    await admin1.disconnect();
    await first.close();

    // As an older kafkalite that accepted local.retention.ms would have written it.
    const path = joinPath('/data', TOPICS_FILE);
    const file = JSON.parse((await readFileIfExists(fs, path))!.toString('utf8'));
    file.topics[0].configs['local.retention.ms'] = '1000';
    await writeFileAtomic(fs, path, Buffer.from(JSON.stringify(file)));

    const second = await startBroker({ fs, dataDir: '/data' });
    const admin2 = new Kafka({ brokers: [second.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin2.connect();
    try {
      const res = await admin2.describeConfigs({ resources: [{ type: 2, name: 'old' }], includeSynonyms: false });
      const entries = new Map(res.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
      expect(entries.get('retention.ms')).toBe('123456');
      // Back to Kafka's default: kafkalite has no tiered storage, so only -2 is accepted now.
      expect(entries.get('local.retention.ms')).toBe('-2');
    } finally {
      await admin2.disconnect();
      await second.close();
    }
  });
});
