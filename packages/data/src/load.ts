import { createHash } from "node:crypto";
import { cacheDir, candidateDirs, DatasetNotFoundError, expectedChecksums, findFile, hasAllFiles, readDecompressed, verifyBytes } from "./locate";
import { downloadDataset } from "./download";
import { DATASET_FILE_KEYS, type DatasetFileKey } from "./files";
import { DatasetFileError, parseIdx } from "./idx";

export interface ImageSet {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export interface FashionMnist {
  train: ImageSet;
  test: ImageSet;
  /** Where the files came from. */
  dir: string;
  source: string;
  /** sha256 over the four decompressed files' sha256s: identifies exactly what a run trained on. */
  checksum: string;
  /** Set when the directory holds a declared subset (fixture), not the full dataset. */
  subset?: string;
}

export interface LoadOptions {
  /** Use this directory only (no search, no download). */
  dir?: string;
  /** Download into the cache when no directory has the files (default true). */
  download?: boolean;
  progress?: boolean;
  env?: NodeJS.ProcessEnv;
}

export async function loadFashionMnist(options: LoadOptions = {}): Promise<FashionMnist> {
  const env = options.env ?? process.env;
  let found: { dir: string; source: string } | undefined;
  if (options.dir) {
    if (!hasAllFiles(options.dir)) throw new DatasetNotFoundError([options.dir]);
    found = { dir: options.dir, source: "explicit" };
  } else {
    const candidates = candidateDirs(env);
    found = candidates.find((c) => hasAllFiles(c.dir));
    if (!found) {
      if (options.download === false) throw new DatasetNotFoundError(candidates.map((c) => c.dir));
      const dir = cacheDir(env);
      try {
        await downloadDataset(dir, { progress: options.progress });
      } catch (e) {
        throw new DatasetNotFoundError(candidates.map((c) => c.dir), (e as Error).message);
      }
      found = { dir, source: "download" };
    }
  }
  return readDataset(found.dir, found.source);
}

export function readDataset(dir: string, source = "explicit"): FashionMnist {
  const { subset, files } = expectedChecksums(dir);
  const raw = {} as Record<DatasetFileKey, Uint8Array>;
  for (const key of DATASET_FILE_KEYS) {
    const path = findFile(dir, key);
    if (!path) throw new DatasetNotFoundError([dir]);
    const bytes = readDecompressed(path);
    verifyBytes(path, bytes, files[key]);
    raw[key] = bytes;
  }
  const set = (imagesKey: DatasetFileKey, labelsKey: DatasetFileKey): ImageSet => {
    const images = parseIdx(raw[imagesKey], findFile(dir, imagesKey)!, 3);
    const labels = parseIdx(raw[labelsKey], findFile(dir, labelsKey)!, 1);
    const [n, h, w] = images.dims;
    if (h !== 28 || w !== 28) throw new DatasetFileError(findFile(dir, imagesKey)!, `images are ${h}x${w}, expected 28x28`);
    if (labels.dims[0] !== n) {
      throw new DatasetFileError(findFile(dir, labelsKey)!, `has ${labels.dims[0]} labels for ${n} images`);
    }
    return { images: images.data, labels: labels.data, count: n };
  };
  const checksum = createHash("sha256")
    .update(DATASET_FILE_KEYS.map((k) => files[k].sha256).join("\n"))
    .digest("hex");
  return {
    train: set("trainImages", "trainLabels"),
    test: set("testImages", "testLabels"),
    dir,
    source,
    checksum,
    subset: subset?.description,
  };
}
