// `npm run compat`: scenarios with clients from Debian (kcat/librdkafka).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['compat-tests/**/*.compat.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
