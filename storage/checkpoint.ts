// Kafka's offset checkpoint files (recovery-point-offset-checkpoint,
// log-start-offset-checkpoint), in Kafka's text format:
//   0                      version
//   2                      number of entries
//   my-topic 0 1234        topic, partition, offset
//   my-topic 1 99
// Written atomically (temp file, fsync, rename, directory fsync).

import { readFileIfExists, writeFileAtomic, type FileSystem } from './fs.js';

export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint';

/** Key of a partition in checkpoint maps: `${topic}-${partition}`. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export function formatCheckpoint(entries: Iterable<{ topic: string; partition: number; offset: number }>): Buffer {
  const lines: string[] = [];
  for (const e of entries) lines.push(`${e.topic} ${e.partition} ${e.offset}`);
  return Buffer.from(`0\n${lines.length}\n${lines.map((l) => `${l}\n`).join('')}`);
}

/** Parses a checkpoint; null if it is malformed (callers then recover as if it were missing). */
export function parseCheckpoint(text: string): Map<string, number> | null {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length < 2 || lines[0]!.trim() !== '0') return null;
  const count = Number(lines[1]!.trim());
  if (!Number.isSafeInteger(count) || count < 0 || lines.length !== count + 2) return null;
  const out = new Map<string, number>();
  for (let i = 2; i < lines.length; i++) {
    const parts = lines[i]!.trim().split(/\s+/);
    if (parts.length !== 3) return null;
    const partition = Number(parts[1]);
    const offset = Number(parts[2]);
    if (!Number.isSafeInteger(partition) || partition < 0 || !Number.isSafeInteger(offset) || offset < 0) return null;
    out.set(partitionKey(parts[0]!, partition), offset);
  }
  return out;
}

export async function readCheckpoint(fs: FileSystem, path: string): Promise<Map<string, number> | null> {
  const buf = await readFileIfExists(fs, path);
  if (buf === undefined) return new Map();
  return parseCheckpoint(buf.toString('utf8'));
}

export async function writeCheckpoint(
  fs: FileSystem,
  path: string,
  entries: Iterable<{ topic: string; partition: number; offset: number }>,
): Promise<void> {
  await writeFileAtomic(fs, path, formatCheckpoint(entries));
}
