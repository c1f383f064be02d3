// vitestGlobalSetup for real: a vitest run (its own config) whose tests reach the
// broker only through the environment the global setup filled in.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const vitestBin = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url));
const config = fileURLToPath(new URL('./vitest.config.ts', import.meta.url));

describe('vitestGlobalSetup', () => {
  it('gives a whole vitest run one broker in KAFKA_BROKERS and resets it between tests', async () => {
    const env = { ...process.env };
    delete env.KAFKA_BROKERS;
    const out = await new Promise<{ code: number | null; text: string }>((resolve) => {
      execFile(process.execPath, [vitestBin, 'run', '--config', config], { env }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, text: stdout + stderr }),
      );
    });
    expect(out.text).toMatch(/2 passed/);
    expect(out.code, out.text).toBe(0);
  });
});
