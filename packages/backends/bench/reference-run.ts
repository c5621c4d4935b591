/**
 * A full reference training run on a chosen backend, with the trainer's recipe (trainConfigSchema
 * defaults: 20 epochs, batch 64, Adam 0.001, dropout 0.5, 20% stratified validation split, early
 * stopping on validation loss with patience 5, keep the weights with the best validation
 * accuracy), then test accuracy. Checks that the native backend trains to the same quality.
 *
 *   tsx bench/reference-run.ts [--backend native|cpu|wasm] [--epochs 20] [--threads N]
 */

import { gather, loadFashionMnist, seededRandom, shuffleInPlace, stratifiedSplit } from "@fmnist/data";
import { IMAGE_PIXELS, toUnitPixels } from "@fmnist/data/image";
import { buildModel, trainConfigSchema } from "@fmnist/model";
import * as tf from "@tensorflow/tfjs";

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const backend = arg("backend", "native");
const config = trainConfigSchema.parse({ name: "reference-run", epochs: Number(arg("epochs", "20")) });

if (backend === "native") {
  const { registerNativeBackend } = await import("../src/native/index");
  const r = await registerNativeBackend({ threads: args.includes("--threads") ? Number(arg("threads", "2")) : undefined });
  if (!r.ok) throw new Error(r.reason);
  console.log(r.info);
} else if (backend === "wasm") {
  const { registerWasmGradientKernels } = await import("../src/wasm/wasm-gradients");
  registerWasmGradientKernels();
}
if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} failed to start`);
await tf.ready();

const data = await loadFashionMnist({ download: false });
const split = stratifiedSplit(data.train.labels, config.validationSplit, config.seed);
const fit = gather(data.train.images, data.train.labels, split.train);
const val = gather(data.train.images, data.train.labels, split.validation);

function batch(images: Uint8Array, labels: Uint8Array, start: number, end: number, order?: Int32Array) {
  const n = end - start;
  const x = new Float32Array(n * IMAGE_PIXELS);
  const y = new Float32Array(n * 10);
  for (let k = 0; k < n; k++) {
    const i = order ? order[start + k] : start + k;
    toUnitPixels(images.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS), x, k * IMAGE_PIXELS);
    y[k * 10 + labels[i]] = 1;
  }
  return { xs: tf.tensor4d(x, [n, 28, 28, 1]), ys: tf.tensor2d(y, [n, 10]) };
}

async function evaluate(model: tf.LayersModel, images: Uint8Array, labels: Uint8Array) {
  let loss = 0;
  let correct = 0;
  for (let s = 0; s < labels.length; s += 500) {
    const e = Math.min(labels.length, s + 500);
    const { xs, ys } = batch(images, labels, s, e);
    const probs = tf.tidy(() => model.predict(xs) as tf.Tensor);
    const p = await probs.data();
    for (let k = 0; k < e - s; k++) {
      const row = p.subarray(k * 10, k * 10 + 10);
      loss -= Math.log(Math.min(1 - 1e-7, Math.max(1e-7, row[labels[s + k]])));
      let best = 0;
      for (let c = 1; c < 10; c++) if (row[c] > row[best]) best = c;
      if (best === labels[s + k]) correct++;
    }
    tf.dispose([xs, ys, probs]);
  }
  return { loss: loss / labels.length, accuracy: correct / labels.length };
}

const model = buildModel(config.architecture, { dropout: config.dropout, seed: config.seed });
model.compile({ optimizer: tf.train.adam(config.learningRate), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
let best: { epoch: number; valAcc: number; weights: tf.Tensor[] } | undefined;
let bestLoss = Number.POSITIVE_INFINITY;
let sinceBest = 0;
const started = Date.now();
for (let epoch = 1; epoch <= config.epochs; epoch++) {
  const order = shuffleInPlace(Int32Array.from({ length: fit.labels.length }, (_, i) => i), seededRandom(config.seed * 1000 + epoch));
  const t0 = Date.now();
  let lossSum = 0;
  let accSum = 0;
  for (let s = 0; s < fit.labels.length; s += config.batchSize) {
    const e = Math.min(fit.labels.length, s + config.batchSize);
    const { xs, ys } = batch(fit.images, fit.labels, s, e, order);
    const [loss, acc] = (await model.trainOnBatch(xs, ys)) as number[];
    tf.dispose([xs, ys]);
    lossSum += loss * (e - s);
    accSum += acc * (e - s);
  }
  const secs = (Date.now() - t0) / 1000;
  const v = await evaluate(model, val.images, val.labels);
  console.log(
    `epoch ${epoch}: loss ${(lossSum / fit.labels.length).toFixed(4)} acc ${(accSum / fit.labels.length).toFixed(4)} val_loss ${v.loss.toFixed(4)} val_acc ${v.accuracy.toFixed(4)} ${secs.toFixed(1)} s (${Math.round(fit.labels.length / secs)} img/s) tensors ${tf.memory().numTensors}`,
  );
  if (!best || v.accuracy > best.valAcc) {
    for (const w of best?.weights ?? []) w.dispose();
    best = { epoch, valAcc: v.accuracy, weights: model.getWeights().map((w) => w.clone()) };
  }
  if (v.loss < bestLoss) {
    bestLoss = v.loss;
    sinceBest = 0;
  } else if (++sinceBest >= config.patience && config.patience > 0) {
    console.log(`early stop after epoch ${epoch}`);
    break;
  }
}
if (best) model.setWeights(best.weights);
const test = await evaluate(model, data.test.images, data.test.labels);
console.log(
  `backend ${tf.getBackend()}: best epoch ${best?.epoch} (val_acc ${best?.valAcc.toFixed(4)}), test accuracy ${(test.accuracy * 100).toFixed(2)}%, test loss ${test.loss.toFixed(4)}, total ${((Date.now() - started) / 1000).toFixed(0)} s`,
);
