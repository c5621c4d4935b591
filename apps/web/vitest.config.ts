import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // The same aliases as tsconfig.json's paths.
  resolve: {
    alias: {
      "~": fileURLToPath(new URL("./src", import.meta.url)),
    },
  },
  // Unit tests only; e2e/*.spec.ts belong to Playwright.
  test: { include: ["src/**/*.test.ts"] },
});
