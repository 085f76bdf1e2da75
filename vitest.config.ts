import { defineConfig } from 'vitest/config';
import { ENIS_PACKAGES } from './sdk/workspace.ts';

export default defineConfig({
  resolve: { alias: ENIS_PACKAGES },
  test: {
    include: [
      'dataplane/**/*.test.ts',
      'operator/**/*.test.ts',
      'crds/**/*.test.ts',
      'tests/**/*.test.ts',
      'sdk/**/*.test.ts',
    ],
    globalSetup: ['tests/setup/global.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    coverage: {
      provider: 'v8',
      include: ['dataplane/src/**/*.ts', 'operator/src/**/*.ts', 'crds/**/*.ts'],
      exclude: ['**/*.test.ts', 'dataplane/src/main.ts', 'operator/src/main.ts'],
      thresholds: { lines: 80 },
      reporter: ['text-summary', 'json-summary'],
    },
  },
});
