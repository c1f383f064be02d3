// Issue 7, item 6: a first start says so instead of looking like a recovery
// after a crash; a restart after a clean stop says it was clean. The real CLI.
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChildBroker } from './helpers.js';
import { ApiVersionsApi } from '../../protocol/messages/18-api-versions.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Starts the CLI on `dir` and returns its "logs loaded" line, then stops it cleanly. */
async function loadLine(dir: string): Promise<Record<string, unknown>> {
  const b = ChildBroker.spawn({ dataDir: dir });
  let line: Record<string, unknown> | undefined;
  b.onLine((l) => {
    if (l.msg === 'logs loaded') line = l;
  });
  await b.ready(80_000);
  // One answered request: the CLI is past start-up (its signal handlers are installed) before it is stopped.
  const c = await b.connect();
  await c.request(ApiVersionsApi, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
  c.close();
  const code = await b.stop();
  expect(code, b.output()).toBe(0);
  expect(line).toBeDefined();
  return line!;
}

describe('issue 7: the start-up log line', () => {
  it('says a new data directory is new, and a restart after a clean stop is clean', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kafkalite-first-'));
    dirs.push(dir);
    const first = await loadLine(join(dir, 'data'));
    expect(first.newDataDirectory).toBe(true);
    expect(first).not.toHaveProperty('clean');
    const second = await loadLine(join(dir, 'data'));
    expect(second.clean).toBe(true);
    expect(second).not.toHaveProperty('newDataDirectory');
  }, 180_000);
});
