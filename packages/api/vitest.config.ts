import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // Each integration file migrates its own SQLite file; 2 cores, so no need for many workers.
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
