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
  test: {
    include: ["src/**/*.test.ts"],
    // CommonJS modules as Node imports them: with the default interop, OpenCV's Emscripten module
    // (a thenable resolving to itself, loaded for GrabCut on photos) is awaited and never settles.
    deps: { interopDefault: false },
  },
});
