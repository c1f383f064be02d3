// Runs the real `kafkalite` CLI in a child process (built dist/ when fresh, else
// tsx, as the durability tests choose) and collects its output and exit code.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { cliCommand, REPO } from '../../test/durability/helpers.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: readonly string[], opts: { stdin?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return spawnCli(args, opts).result;
}

export interface RunningCli {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly result: Promise<CliResult>;
  /** Resolves once stdout satisfies `test`. */
  waitForStdout(test: (stdout: string) => boolean): Promise<void>;
}

/** Starts the CLI; `result` resolves when it exits (killed after `timeoutMs`). */
export function spawnCli(args: readonly string[], opts: { stdin?: string; timeoutMs?: number } = {}): RunningCli {
  const cmd = cliCommand();
  const proc = spawn(process.execPath, [...cmd.args, ...args], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  let stdout = '';
  let stderr = '';
  const watchers: (() => void)[] = [];
  proc.stdout.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
    for (const w of watchers) w();
  });
  proc.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  proc.stdin.end(opts.stdin ?? '');
  const result = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`kafkalite ${args.join(' ')} did not finish within ${opts.timeoutMs ?? 60_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    // 'close' comes after the output pipes are drained.
    proc.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  const waitForStdout = (test: (stdout: string) => boolean): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (test(stdout)) resolve();
      };
      watchers.push(check);
      result.then(() => reject(new Error(`kafkalite ${args.join(' ')} exited first\nstdout: ${stdout}\nstderr: ${stderr}`)), reject);
      check();
    });
  return { proc, result, waitForStdout };
}

/** Expects a clean run and returns its stdout. */
export async function cliOk(args: readonly string[], stdin?: string): Promise<string> {
  const r = await runCli(args, stdin === undefined ? {} : { stdin });
  if (r.code !== 0) throw new Error(`kafkalite ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

/** stdout as JSON. */
export async function cliJson<T = unknown>(args: readonly string[], stdin?: string): Promise<T> {
  return JSON.parse(await cliOk([...args, '--json'], stdin)) as T;
}
