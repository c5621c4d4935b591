import { IMAGE_SIZE, IMAGE_PIXELS as PIXELS, toUnitPixels } from "@fmnist/data/image";
import { mirror } from "@fmnist/model";
import * as tf from "@tensorflow/tfjs";

export interface BatchOptions {
  /** Augmentation: gets the batch's uint8 images (n x 784, a copy) and their labels, and returns
   * the images to use (the labels stay as they are). */
  transform?: (images: Uint8Array, n: number, labels: Uint8Array) => Uint8Array;
  /** Label smoothing e: targets 1 - e + e/10 for the true class and e/10 for the others. */
  labelSmoothing?: number;
}

/** Builds one batch straight from the uint8 dataset: x/255 as [B,28,28,1] and one-hot labels,
 * so the full training set never has to live in memory as float tensors. `order` maps batch
 * positions to image indices (a shuffled epoch order); without it images are taken in order. */
export function makeBatch(
  images: Uint8Array,
  labels: Uint8Array,
  start: number,
  end: number,
  order?: ArrayLike<number>,
  options: BatchOptions = {},
): { xs: tf.Tensor4D; ys: tf.Tensor2D } {
  const n = end - start;
  const index = (k: number) => (order ? order[start + k] : start + k);
  let pixels: Uint8Array;
  let offset: (k: number) => number;
  if (options.transform) {
    const batch = new Uint8Array(n * PIXELS);
    const batchLabels = new Uint8Array(n);
    for (let k = 0; k < n; k++) {
      batch.set(images.subarray(index(k) * PIXELS, (index(k) + 1) * PIXELS), k * PIXELS);
      batchLabels[k] = labels[index(k)];
    }
    pixels = options.transform(batch, n, batchLabels);
    offset = (k) => k * PIXELS;
  } else {
    pixels = images;
    offset = (k) => index(k) * PIXELS;
  }
  const e = options.labelSmoothing ?? 0;
  const x = new Float32Array(n * PIXELS);
  const y = new Float32Array(n * 10).fill(e / 10);
  for (let k = 0; k < n; k++) {
    const src = offset(k);
    toUnitPixels(pixels.subarray(src, src + PIXELS), x, k * PIXELS);
    y[k * 10 + labels[index(k)]] += 1 - e;
  }
  return { xs: tf.tensor4d(x, [n, IMAGE_SIZE, IMAGE_SIZE, 1]), ys: tf.tensor2d(y, [n, 10]) };
}

/** Class probabilities for every image, predicted in batches; a row-major [N,10] array. */
export async function predictProbabilities(
  model: tf.LayersModel,
  images: Uint8Array,
  labels: Uint8Array,
  {
    batchSize = 500,
    mirrored = false,
    onBatch,
  }: { batchSize?: number; mirrored?: boolean; onBatch?: (done: number, total: number) => void | Promise<void> } = {},
): Promise<Float32Array> {
  const count = labels.length;
  const out = new Float32Array(count * 10);
  for (let start = 0; start < count; start += batchSize) {
    const end = Math.min(count, start + batchSize);
    // Test-time augmentation: the mean of the probabilities of each image and its mirror.
    const probs = tf.tidy(() => {
      const plain = model.predict(makeBatch(images, labels, start, end).xs) as tf.Tensor;
      if (!mirrored) return plain;
      const flipped = makeBatch(images, labels, start, end, undefined, { transform: mirrorAll }).xs;
      return plain.add(model.predict(flipped) as tf.Tensor).div(2);
    });
    out.set(await probs.data(), start * 10);
    probs.dispose();
    await onBatch?.(end, count);
    // A turn of the event loop per batch, so the worker's lease heartbeat can fire (see train.ts).
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return out;
}

function mirrorAll(batch: Uint8Array, n: number): Uint8Array {
  for (let k = 0; k < n; k++) mirror(batch.subarray(k * PIXELS, (k + 1) * PIXELS));
  return batch;
}

/** Categorical cross-entropy (clipped to [1e-7, 1-1e-7] as Keras does) and accuracy. */
export function lossAndAccuracy(probs: Float32Array, labels: Uint8Array): { loss: number; accuracy: number } {
  const n = labels.length;
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const row = i * 10;
    loss -= Math.log(Math.min(1 - 1e-7, Math.max(1e-7, probs[row + labels[i]])));
    let best = 0;
    for (let c = 1; c < 10; c++) if (probs[row + c] > probs[row + best]) best = c;
    if (best === labels[i]) correct++;
  }
  return { loss: n === 0 ? 0 : loss / n, accuracy: n === 0 ? 0 : correct / n };
}
