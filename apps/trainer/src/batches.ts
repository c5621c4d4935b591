import * as tf from "@tensorflow/tfjs";

const PIXELS = 784;

/** Builds one batch straight from the uint8 dataset: x/255 as [B,28,28,1] and one-hot labels,
 * so the full training set never has to live in memory as float tensors. `order` maps batch
 * positions to image indices (a shuffled epoch order); without it images are taken in order. */
export function makeBatch(
  images: Uint8Array,
  labels: Uint8Array,
  start: number,
  end: number,
  order?: ArrayLike<number>,
): { xs: tf.Tensor4D; ys: tf.Tensor2D } {
  const n = end - start;
  const x = new Float32Array(n * PIXELS);
  const y = new Float32Array(n * 10);
  for (let k = 0; k < n; k++) {
    const i = order ? order[start + k] : start + k;
    const src = images.subarray(i * PIXELS, (i + 1) * PIXELS);
    const base = k * PIXELS;
    for (let p = 0; p < PIXELS; p++) x[base + p] = src[p] / 255;
    y[k * 10 + labels[i]] = 1;
  }
  return { xs: tf.tensor4d(x, [n, 28, 28, 1]), ys: tf.tensor2d(y, [n, 10]) };
}

/** Class probabilities for every image, predicted in batches; a row-major [N,10] array. */
export async function predictProbabilities(
  model: tf.LayersModel,
  images: Uint8Array,
  labels: Uint8Array,
  batchSize = 500,
  onBatch?: (done: number, total: number) => void | Promise<void>,
): Promise<Float32Array> {
  const count = labels.length;
  const out = new Float32Array(count * 10);
  for (let start = 0; start < count; start += batchSize) {
    const end = Math.min(count, start + batchSize);
    const probs = tf.tidy(() => model.predict(makeBatch(images, labels, start, end).xs) as tf.Tensor);
    out.set(await probs.data(), start * 10);
    probs.dispose();
    await onBatch?.(end, count);
    // A turn of the event loop per batch, so the worker's lease heartbeat can fire (see train.ts).
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return out;
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
