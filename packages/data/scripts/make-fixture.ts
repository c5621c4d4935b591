// Regenerates fixtures/fashion-mnist-small from the full dataset: the first N images of each
// class (deterministic), gzipped IDX files plus subset.json with their checksums.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { DATASET_FILES, encodeIdx, FIXTURE_DIR, IMAGE_PIXELS, type ImageSet, loadFashionMnist, SUBSET_MANIFEST, sha256 } from "../src/index";

function firstPerClass(set: ImageSet, perClass: number): ImageSet {
  const taken = new Array(10).fill(0);
  const idx: number[] = [];
  for (let i = 0; i < set.count; i++) {
    if (taken[set.labels[i]] < perClass) {
      taken[set.labels[i]]++;
      idx.push(i);
    }
  }
  const images = new Uint8Array(idx.length * IMAGE_PIXELS);
  const labels = new Uint8Array(idx.length);
  idx.forEach((i, k) => {
    images.set(set.images.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS), k * IMAGE_PIXELS);
    labels[k] = set.labels[i];
  });
  return { images, labels, count: idx.length };
}

const full = await loadFashionMnist();
const train = firstPerClass(full.train, 200);
const test = firstPerClass(full.test, 50);
mkdirSync(FIXTURE_DIR, { recursive: true });
const files = {
  trainImages: encodeIdx([train.count, 28, 28], train.images),
  trainLabels: encodeIdx([train.count], train.labels),
  testImages: encodeIdx([test.count, 28, 28], test.images),
  testLabels: encodeIdx([test.count], test.labels),
};
const manifest: Record<string, { sha256: string; bytes: number }> = {};
for (const [key, bytes] of Object.entries(files)) {
  const name = DATASET_FILES[key as keyof typeof DATASET_FILES].name;
  writeFileSync(join(FIXTURE_DIR, `${name}.gz`), gzipSync(bytes, { level: 9 }));
  manifest[key] = { sha256: sha256(bytes), bytes: bytes.length };
}
writeFileSync(
  join(FIXTURE_DIR, SUBSET_MANIFEST),
  `${JSON.stringify({ description: `Fashion-MNIST subset: ${train.count} train / ${test.count} test images (first 200 / 50 per class)`, files: manifest }, null, 2)}\n`,
);
console.log(`wrote ${FIXTURE_DIR}: ${train.count} train, ${test.count} test images`);
