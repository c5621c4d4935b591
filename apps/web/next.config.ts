import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { NextConfig } from "next";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

const config: NextConfig = {
  // Workspace packages ship TypeScript sources.
  transpilePackages: ["@fmnist/api", "@fmnist/db", "@fmnist/model", "@fmnist/data", "@fmnist/backends", "@fmnist/keras-import"],
  // Native modules and the Prisma runtime are loaded by Node at run time, not bundled.
  serverExternalPackages: [
    "better-sqlite3",
    "@prisma/client",
    "@prisma/adapter-better-sqlite3",
    "@prisma/adapter-pg",
    "pg",
    "@tensorflow/tfjs",
    "@tensorflow/tfjs-backend-wasm",
    "@tensorflow/tfjs-backend-cpu",
    "sharp",
    "h5wasm",
    // OpenCV's WebAssembly build (GrabCut for photos): 10 MB of JavaScript, loaded by Node on first use.
    "@techstark/opencv-js",
  ],
  // The workspace packages live outside apps/web.
  turbopack: {
    root: repoRoot,
    // OpenCV's build requires fs, path and crypto on its Node path only; the worker's bundle gets empty stand-ins.
    resolveAlias: {
      fs: { browser: "./src/lib/empty-module.ts" },
      path: { browser: "./src/lib/empty-module.ts" },
      crypto: { browser: "./src/lib/empty-module.ts" },
    },
  },
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
