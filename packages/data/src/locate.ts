import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import {
  DATASET_FILE_KEYS,
  DATASET_FILES,
  type DatasetFileKey,
  DEBIAN_DIR,
  OFFICIAL_MIRROR,
  SUBSET_MANIFEST,
  type SubsetManifest,
} from "./files";
import { DatasetFileError } from "./idx";

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME?.trim() || join(homedir(), ".cache");
  return join(base, "fmnist-studio", "fashion-mnist");
}

export interface Candidate {
  dir: string;
  source: "FASHION_MNIST_DIR" | "debian" | "cache";
}

export function candidateDirs(env: NodeJS.ProcessEnv = process.env): Candidate[] {
  const out: Candidate[] = [];
  if (env.FASHION_MNIST_DIR?.trim()) out.push({ dir: env.FASHION_MNIST_DIR.trim(), source: "FASHION_MNIST_DIR" });
  out.push({ dir: DEBIAN_DIR, source: "debian" }, { dir: cacheDir(env), source: "cache" });
  return out;
}

/** The path of a dataset file in dir, gzipped or not, or undefined. */
export function findFile(dir: string, key: DatasetFileKey): string | undefined {
  const base = join(dir, DATASET_FILES[key].name);
  // The ignore comment keeps Next's file tracer from treating this dynamic path as the whole project.
  for (const p of [`${base}.gz`, base]) if (existsSync(/*turbopackIgnore: true*/ p)) return p;
  return undefined;
}

export function hasAllFiles(dir: string): boolean {
  return DATASET_FILE_KEYS.every((k) => findFile(dir, k) !== undefined);
}

export function readDecompressed(path: string): Uint8Array {
  const raw = readFileSync(path);
  if (!path.endsWith(".gz")) return raw;
  try {
    return gunzipSync(raw);
  } catch (e) {
    throw new DatasetFileError(path, `is not a valid gzip file (${(e as Error).message}); delete it and try again`);
  }
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export function expectedChecksums(dir: string): { subset?: SubsetManifest; files: Record<DatasetFileKey, { sha256: string; bytes: number }> } {
  const manifestPath = join(dir, SUBSET_MANIFEST);
  if (existsSync(manifestPath)) {
    const subset = JSON.parse(readFileSync(manifestPath, "utf8")) as SubsetManifest;
    return { subset, files: subset.files };
  }
  return { files: DATASET_FILES };
}

export function verifyBytes(path: string, bytes: Uint8Array, expected: { sha256: string; bytes: number }): void {
  if (bytes.length !== expected.bytes) {
    throw new DatasetFileError(
      path,
      `decompressed size is ${bytes.length} bytes, expected ${expected.bytes} (truncated or not Fashion-MNIST); delete it and try again`,
    );
  }
  const actual = sha256(bytes);
  if (actual !== expected.sha256) {
    throw new DatasetFileError(
      path,
      `sha256 of the decompressed bytes is ${actual}, expected ${expected.sha256} (corrupt or not Fashion-MNIST); delete it and try again`,
    );
  }
}

export class DatasetNotFoundError extends Error {
  constructor(searched: string[], downloadProblem?: string) {
    super(
      [
        "Fashion-MNIST was not found and could not be downloaded.",
        `Looked in: ${searched.join(", ")}.`,
        downloadProblem ? `Download from ${OFFICIAL_MIRROR} failed: ${downloadProblem}` : "",
        "Provide it in one of three ways:",
        "  1. On Debian/Ubuntu: sudo apt-get install -y dataset-fashion-mnist   (installs to /usr/share/datasets/fashion-mnist)",
        "  2. Put the four files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz,",
        "     t10k-labels-idx1-ubyte.gz) in a directory and set FASHION_MNIST_DIR=/that/directory",
        `  3. Allow internet access: they are downloaded from ${OFFICIAL_MIRROR}, verified and cached in ${searched.at(-1)}`,
      ]
        .filter(Boolean)
        .join("\n"),
    );
    this.name = "DatasetNotFoundError";
  }
}
