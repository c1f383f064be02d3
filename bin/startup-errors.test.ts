// Issue 7, item 6: fatal start-up errors reach the operator as one line on
// stderr with a hint, not as a JSON log line with a stack. The real CLI is
// spawned for each: a port in use, a data directory under a regular file, and a
// data directory on a read-only file system (a read-only tmpfs when this user may
// mount one, else a directory without write permission).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { mkdtemp, rm, writeFile, mkdir, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliCommand, REPO } from '../test/durability/helpers.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [...cliCommand().args, 'start', ...args], { cwd: REPO, env: { ...process.env, NODE_OPTIONS: '' } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A start-up failure: exit 1, exactly one line on stderr, no stack anywhere at the default log level. */
function expectOneLine(r: Run): string {
  expect(r.code, r.stdout + r.stderr).toBe(1);
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(lines, r.stderr).toHaveLength(1);
  expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
  return lines[0];
}

let dir: string;
let occupied: Server;
let port: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kafkalite-startup-'));
  occupied = createServer();
  await new Promise<void>((r) => occupied.listen({ host: '127.0.0.1', port: 0 }, r));
  port = (occupied.address() as { port: number }).port;
});
afterAll(async () => {
  occupied.close();
  await rm(dir, { recursive: true, force: true });
});

describe('issue 7: fatal start-up errors', () => {
  it('a port in use says so, with a hint', async () => {
    const line = expectOneLine(await runCli(['--port', String(port), '--data-dir', join(dir, 'port')]));
    expect(line).toBe(`kafkalite: port ${port} is in use: is another broker running? use --port`);
  }, 60_000);

  it('a metrics port in use says so, naming --metrics-port', async () => {
    const line = expectOneLine(await runCli(['--port', '0', '--memory', '--metrics-port', String(port)]));
    expect(line).toBe(`kafkalite: port ${port} is in use: use another --metrics-port`);
  }, 60_000);

  it('a web console port in use names --console-port, and the broker does not start', async () => {
    const line = expectOneLine(await runCli(['--port', '0', '--memory', '--console-port', String(port)]));
    expect(line).toBe(`kafkalite: port ${port} is in use: use another --console-port`);
  }, 60_000);

  it('a data directory under a regular file says a file is in the way', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    const line = expectOneLine(await runCli(['--port', '0', '--data-dir', join(file, 'data')]));
    expect(line).toMatch(/^kafkalite: cannot use .*a-file.* as the data directory: a file is in the way \(ENOTDIR\): use --data-dir$/);
  }, 60_000);

  it('a read-only data directory is reported as such, not as ENOENT', async () => {
    const ro = join(dir, 'ro');
    await mkdir(ro);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', ro]).status === 0;
    if (!mounted) await chmod(ro, 0o555);
    try {
      const line = expectOneLine(await runCli(['--port', '0', '--data-dir', join(ro, 'data')]));
      expect(line).not.toMatch(/ENOENT/);
      expect(line).toMatch(
        mounted
          ? /^kafkalite: cannot write .*ro\/data: read-only file system \(EROFS\): use --data-dir on a writable file system$/
          : /^kafkalite: no permission to write .*ro\/data \(EACCES\): use --data-dir with a directory this user can write$/,
      );
    } finally {
      if (mounted) spawnSync('umount', [ro]);
    }
  }, 60_000);
});
