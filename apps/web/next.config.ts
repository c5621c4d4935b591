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
    "onnxruntime-web",
    "onnx-proto",
  ],
  // The workspace packages live outside apps/web.
  turbopack: { root: repoRoot },
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
