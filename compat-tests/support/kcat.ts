// kcat (librdkafka) from Debian, driven as a child process.
import { execFile, spawnSync } from 'node:child_process';

let cached: string | null | undefined;

/** kcat's version line, or null when kcat is not installed. */
export function kcatVersion(): string | null {
  if (cached === undefined) {
    const r = spawnSync('kcat', ['-V'], { encoding: 'utf8' });
    cached = r.status === 0 ? (r.stdout.split('\n').find((l) => /version/i.test(l)) ?? r.stdout.split('\n')[0]).trim() : null;
  }
  return cached;
}

export interface KcatResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs kcat with args; stdin optional; rejects only when it cannot start. */
export function kcat(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<KcatResult> {
  return runProgram('kcat', args, opts);
}

/** Runs a program (kcat, or one built here) with args; stdin optional; rejects only when it cannot start. */
export function runProgram(file: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<KcatResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return reject(err);
      resolve({ stdout, stderr, code: err ? ((err as { code?: number }).code ?? 1) : 0 });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}
