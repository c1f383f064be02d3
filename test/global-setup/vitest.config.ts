// A separate vitest run whose global setup is kafkalite/testing's vitestGlobalSetup:
// global-setup.test.ts runs it as a user's project would.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['*.spec.ts'],
    globalSetup: ['./setup.ts'],
    fileParallelism: false,
  },
});
