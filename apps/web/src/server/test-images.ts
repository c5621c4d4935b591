import { existsSync } from "node:fs";
import { candidateDirs, DatasetNotFoundError, FIXTURE_DIR, hasAllFiles, IMAGE_PIXELS, readTestSet } from "@fmnist/data";

export interface TestSet {
  dir: string;
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

// Parsed test sets by directory, kept for the life of the process (10,000 images = 7.8 MB); the
// gallery asks for dozens of images at once and must not gunzip the file for each.
const holder = globalThis as { __fmnistTestSets?: Map<string, Promise<TestSet>> };
holder.__fmnistTestSets ??= new Map();
const cache = holder.__fmnistTestSets;

async function load(dir: string): Promise<TestSet> {
  // The trainer's reader (checked by sha256 as the trainer checked it).
  try {
    return { dir, ...readTestSet(dir) };
  } catch (e) {
    if (e instanceof DatasetNotFoundError) throw new TestSetNotFoundError(dir);
    throw e;
  }
}

export class TestSetNotFoundError extends Error {
  constructor(dir: string | null) {
    super(dir ? `The run's test images are no longer in ${dir}` : "No Fashion-MNIST test set found for this run");
  }
}

/** The directory a run's test images come from: the one it recorded, else (older rows) the shipped
 * fixture or the first place the dataset is normally found. */
export function resolveTestSetDir(recorded: { dir: string | null; dataset: string | null }): string | null {
  if (recorded.dir) return existsSync(recorded.dir) ? recorded.dir : null;
  if (recorded.dataset === "fixture-subset") return FIXTURE_DIR;
  return candidateDirs().find((c) => hasAllFiles(c.dir))?.dir ?? null;
}

export function testSet(dir: string): Promise<TestSet> {
  let entry = cache.get(dir);
  if (!entry) {
    entry = load(dir);
    cache.set(dir, entry);
    // A failed load (file being replaced, say) is retried next time instead of cached.
    entry.catch(() => cache.delete(dir));
  }
  return entry;
}

export function testImage(set: TestSet, index: number): Uint8Array {
  return set.images.subarray(index * IMAGE_PIXELS, (index + 1) * IMAGE_PIXELS);
}
