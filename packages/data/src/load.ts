import { createHash } from "node:crypto";
import { downloadDataset } from "./download";
import { DATASET_FILE_KEYS, type DatasetFileKey } from "./files";
import { DatasetFileError, parseIdx } from "./idx";
import { IMAGE_SIZE } from "./image";
import { cacheDir, candidateDirs, DatasetNotFoundError, expectedChecksums, findFile, hasAllFiles, readDecompressed, verifyBytes } from "./locate";

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

/** Reads, verifies (sha256 of the decompressed bytes) and parses one images + labels pair. */
function readImageSet(dir: string, imagesKey: DatasetFileKey, labelsKey: DatasetFileKey, files: ReturnType<typeof expectedChecksums>["files"]): ImageSet {
  const read = (key: DatasetFileKey, dims: 1 | 3) => {
    const path = findFile(dir, key);
    if (!path) throw new DatasetNotFoundError([dir]);
    const bytes = readDecompressed(path);
    verifyBytes(path, bytes, files[key]);
    return { path, idx: parseIdx(bytes, path, dims) };
  };
  const images = read(imagesKey, 3);
  const labels = read(labelsKey, 1);
  const [n, h, w] = images.idx.dims;
  if (h !== IMAGE_SIZE || w !== IMAGE_SIZE) throw new DatasetFileError(images.path, `images are ${h}x${w}, expected ${IMAGE_SIZE}x${IMAGE_SIZE}`);
  if (labels.idx.dims[0] !== n) throw new DatasetFileError(labels.path, `has ${labels.idx.dims[0]} labels for ${n} images`);
  return { images: images.idx.data, labels: labels.idx.data, count: n };
}

export function readDataset(dir: string, source = "explicit"): FashionMnist {
  const { subset, files } = expectedChecksums(dir);
  const train = readImageSet(dir, "trainImages", "trainLabels", files);
  const test = readImageSet(dir, "testImages", "testLabels", files);
  const checksum = createHash("sha256")
    .update(DATASET_FILE_KEYS.map((k) => files[k].sha256).join("\n"))
    .digest("hex");
  return { train, test, dir, source, checksum, subset: subset?.description };
}

/** Only the test set of a directory (10,000 images, checked like readDataset's): what the dashboard
 * needs to show a run's misclassified images without reading the 60,000 training images. */
export function readTestSet(dir: string): ImageSet {
  return readImageSet(dir, "testImages", "testLabels", expectedChecksums(dir).files);
}
