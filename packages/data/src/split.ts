import { IMAGE_PIXELS } from "./image";

/** mulberry32: a tiny, well-known seeded PRNG; enough for shuffling and splits. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffleInPlace<T extends { length: number; [i: number]: number }>(arr: T, random: () => number): T {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = arr[i];
    arr[i] = arr[j];
    arr[j] = t;
  }
  return arr;
}

export interface SplitIndices {
  train: Int32Array;
  validation: Int32Array;
}

/** Seeded, stratified split: each class keeps its share in both parts (round(n_c * fraction)
 * per class to validation). Index order within each part is shuffled by the same seed. */
export function stratifiedSplit(labels: ArrayLike<number>, validationFraction: number, seed: number): SplitIndices {
  if (!(validationFraction >= 0 && validationFraction < 1)) {
    throw new RangeError(`validation fraction must be in [0, 1), got ${validationFraction}`);
  }
  const random = seededRandom(seed);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    const list = byClass.get(c) ?? [];
    byClass.set(c, list);
    list.push(i);
  }
  const train: number[] = [];
  const validation: number[] = [];
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const idx = shuffleInPlace(byClass.get(c)!, random);
    const nVal = Math.round(idx.length * validationFraction);
    validation.push(...idx.slice(0, nVal));
    train.push(...idx.slice(nVal));
  }
  return {
    train: shuffleInPlace(Int32Array.from(train), random),
    validation: shuffleInPlace(Int32Array.from(validation), random),
  };
}

/** Gathers the images (IMAGE_PIXELS bytes each) and labels at the given indices. */
export function gather(
  images: Uint8Array,
  labels: Uint8Array,
  indices: ArrayLike<number>,
  pixels = IMAGE_PIXELS,
): { images: Uint8Array; labels: Uint8Array } {
  const outImages = new Uint8Array(indices.length * pixels);
  const outLabels = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    outImages.set(images.subarray(i * pixels, (i + 1) * pixels), k * pixels);
    outLabels[k] = labels[i];
  }
  return { images: outImages, labels: outLabels };
}

/** Per-class sizes of the parts stratifiedSplit makes, from the class counts alone (the split's
 * sizes depend on the counts and fraction, not on the seed). */
export function stratifiedSplitCounts(classCounts: readonly number[], validationFraction: number): { train: number[]; validation: number[] } {
  if (!(validationFraction >= 0 && validationFraction < 1)) {
    throw new RangeError(`validation fraction must be in [0, 1), got ${validationFraction}`);
  }
  const validation = classCounts.map((n) => Math.round(n * validationFraction));
  return { train: classCounts.map((n, c) => n - validation[c]), validation };
}

/** Per-class counts of the train and validation parts of a run, as the trainer makes them: an
 * optional stratified cap on the training images (maxTrainImages, 0 = all), then the split. */
export function runSplitCounts(classCounts: readonly number[], validationFraction: number, maxTrainImages = 0): { train: number[]; validation: number[] } {
  const total = classCounts.reduce((a, b) => a + b, 0);
  let kept = [...classCounts];
  if (maxTrainImages > 0 && maxTrainImages < total) kept = stratifiedSplitCounts(classCounts, 1 - maxTrainImages / total).train;
  return stratifiedSplitCounts(kept, validationFraction);
}
