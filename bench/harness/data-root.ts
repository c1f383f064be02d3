// Where benchmark data goes: the repo's file system, never tmpfs, so disk
// figures measure the disk the broker would use.
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));

function fsType(p: string): string {
  try {
    return execFileSync('df', ['--output=fstype', p], { encoding: 'utf8' }).trim().split('\n').pop()!.trim();
  } catch {
    return 'unknown';
  }
}

/** The OS temp dir when it shares the repo's (non-tmpfs) file system, else a git-ignored dir in node_modules. */
export function dataRoot(): string {
  const t = tmpdir();
  if (statSync(t).dev === statSync(REPO).dev && fsType(t) !== 'tmpfs') return t;
  return join(REPO, 'node_modules', '.cache', 'kafkalite-bench');
}

/** dataRoot(), created. */
export async function ensureDataRoot(): Promise<string> {
  const root = dataRoot();
  await mkdir(root, { recursive: true });
  return root;
}

/** "DIR on DEVICE (FSTYPE, mounted at M)" for a bench's header line. */
export function describeFs(dir: string): string {
  try {
    const line = execFileSync('df', ['-T', dir], { encoding: 'utf8' }).trim().split('\n').pop()!.split(/\s+/);
    return `${dir} on ${line[0]} (${line[1]}, mounted at ${line[6]})`;
  } catch {
    return dir;
  }
}
