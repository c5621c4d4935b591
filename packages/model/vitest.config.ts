import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // CommonJS modules as Node imports them: with the default interop, OpenCV's Emscripten module
    // (a thenable resolving to itself) is handed to an await and the import never settles.
    deps: { interopDefault: false },
  },
});
