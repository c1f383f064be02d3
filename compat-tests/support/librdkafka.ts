// C programs linked against Debian's librdkafka (`apt-get install gcc
// librdkafka-dev pkg-config`), built by gcc into a temp dir and run as children.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let cached: string | null | undefined;

/** "librdkafka <version> (gcc <version>)", or null when gcc, pkg-config or librdkafka-dev is missing. */
export function librdkafkaVersion(): string | null {
  if (cached === undefined) {
    const lib = spawnSync('pkg-config', ['--modversion', 'rdkafka'], { encoding: 'utf8' });
    const gcc = spawnSync('gcc', ['-dumpversion'], { encoding: 'utf8' });
    cached = lib.status === 0 && gcc.status === 0 ? `librdkafka ${lib.stdout.trim()} (gcc ${gcc.stdout.trim()})` : null;
  }
  return cached;
}

/** Compiles `source` (a path) against librdkafka; returns the executable's path. Throws with gcc's output on failure. */
export function buildRdkafkaProgram(source: string): string {
  const flags = spawnSync('pkg-config', ['--cflags', '--libs', 'rdkafka'], { encoding: 'utf8' });
  if (flags.status !== 0) throw new Error(`pkg-config rdkafka: ${flags.stderr}`);
  const out = join(mkdtempSync(join(tmpdir(), 'kafkalite-rdkafka-')), 'program');
  const gcc = spawnSync('gcc', ['-Wall', '-Wextra', '-Werror', '-o', out, source, ...flags.stdout.trim().split(/\s+/)], { encoding: 'utf8' });
  if (gcc.status !== 0) throw new Error(`gcc ${source}: ${gcc.stderr}`);
  return out;
}
