// Which input pixels drove a prediction, for the classify page's worker (browser-safe tfjs).
// Grad-CAM (Selvaraju et al. 2017) on the last spatial feature map that the rest of the network
// reads as a plain chain of layers (the last convolution's block); SmoothGrad (Smilkov et al. 2017)
// gradient x input for models without one (an MLP). Both use the class's logit, not its
// probability: the softmax saturates for a confident prediction and its gradient vanishes.
import * as tf from "@tensorflow/tfjs";
import { IMAGE_SIZE } from "./classes";

const PIXELS = IMAGE_SIZE * IMAGE_SIZE;

/** "layer-cam": Grad-CAM's channel weights cancelled out (a map with no positive part, common for
 * a small model whose dense head spreads evidence over positions), so the positive gradient is
 * kept per position instead (LayerCAM, Jiang et al. 2021). */
export type SaliencyMethod = "grad-cam" | "layer-cam" | "smoothgrad";

export interface SaliencyPlan {
  method: SaliencyMethod;
  /** Grad-CAM: the layer whose output is explained, and its spatial size. */
  layer: string | null;
  size: [number, number] | null;
  /** Feature map of that layer (null for SmoothGrad). */
  features: tf.LayersModel | null;
  /** The layers after it, applied in order to get the logits. */
  tail: tf.layers.Layer[];
}

export interface SaliencyMap {
  /** 784 values in [0,1] (max 1 unless the map is empty), row-major over the 28x28 input. */
  map: Float32Array;
  method: SaliencyMethod;
  layer: string | null;
  classIndex: number;
}

/** The chain of layers ending at the output, each with a single inbound layer, first to last. */
function outputChain(model: tf.LayersModel): tf.layers.Layer[] {
  const chain: tf.layers.Layer[] = [];
  let layer: tf.layers.Layer | undefined = model.layers[model.layers.length - 1];
  while (layer) {
    if (layer.getClassName() === "InputLayer") break;
    chain.unshift(layer);
    const inbound: tf.layers.Layer[] = layer.inboundNodes[0]?.inboundLayers ?? [];
    if (inbound.length !== 1) break;
    layer = inbound[0];
  }
  return chain;
}

/** Decides how a model is explained; build it once per loaded model. */
export function planSaliency(model: tf.LayersModel): SaliencyPlan {
  const chain = outputChain(model);
  for (let i = chain.length - 2; i >= 0; i--) {
    const shape = chain[i].outputShape as number[];
    if (Array.isArray(shape) && shape.length === 4 && (shape[1] ?? 0) > 1) {
      const features = tf.model({ inputs: model.inputs, outputs: chain[i].output as tf.SymbolicTensor });
      return { method: "grad-cam", layer: chain[i].name, size: [shape[1] as number, shape[2] as number], features, tail: chain.slice(i + 1) };
    }
  }
  if (chain.length === model.layers.filter((l) => l.getClassName() !== "InputLayer").length) {
    return { method: "smoothgrad", layer: null, size: null, features: null, tail: chain };
  }
  throw new Error("this model has neither a spatial feature map nor a plain chain of layers to explain");
}

/** Runs the tail; a final softmax Dense gives its logits instead of probabilities. */
function logits(tail: tf.layers.Layer[], x: tf.Tensor): tf.Tensor2D {
  let y = x;
  tail.forEach((layer, k) => {
    const last = k === tail.length - 1;
    const config = layer.getConfig() as { activation?: string };
    if (last && layer.getClassName() === "Dense" && config.activation === "softmax") {
      const [kernel, bias] = layer.getWeights();
      y = bias ? tf.add(tf.matMul(y as tf.Tensor2D, kernel as tf.Tensor2D), bias) : tf.matMul(y as tf.Tensor2D, kernel as tf.Tensor2D);
    } else if (last && layer.getClassName() === "Activation" && config.activation === "softmax") {
      // the input of a final softmax layer already is the logits
    } else {
      y = layer.apply(y) as tf.Tensor;
    }
  });
  return y as tf.Tensor2D;
}

function normalised(map: tf.Tensor): Float32Array {
  return tf.tidy(() => {
    const m = tf.relu(map.reshape([PIXELS]));
    const max = m.max().dataSync()[0];
    return (max > 0 ? m.div(max) : m).dataSync() as Float32Array;
  });
}

/**
 * The saliency map of `classIndex` for one 28x28 input (784 floats in [0,1]). Grad-CAM: the class
 * logit's gradient averaged over each channel of the feature map weighs that channel, the positive
 * part of the weighted sum is upsampled bilinearly to 28x28. SmoothGrad: |gradient x input|
 * averaged over `samples` copies with Gaussian noise (sigma 0.15). Leaves no tensors behind.
 */
export function saliency(plan: SaliencyPlan, input: Float32Array, classIndex: number, options: { samples?: number; seed?: number } = {}): SaliencyMap {
  if (input.length !== PIXELS) throw new Error(`saliency needs ${PIXELS} input values, got ${input.length}`);
  if (!Number.isInteger(classIndex) || classIndex < 0) throw new Error(`class index ${classIndex} is not a class`);
  let method: SaliencyMethod = plan.method;
  const map = tf.tidy(() => {
    const x = tf.tensor4d(input, [1, IMAGE_SIZE, IMAGE_SIZE, 1]);
    const score = (t: tf.Tensor) => {
      const z = logits(plan.tail, t);
      if (classIndex >= (z.shape[1] ?? 0)) throw new Error(`class index ${classIndex} is not one of the model's ${z.shape[1]} classes`);
      return z.slice([0, classIndex], [-1, 1]).sum();
    };
    if (plan.method === "grad-cam" && plan.features) {
      const a = plan.features.predict(x) as tf.Tensor4D;
      const g = tf.grad(score)(a) as tf.Tensor4D;
      const weights = g.mean([1, 2], true);
      let cam = tf.relu(a.mul(weights).sum(3, true)) as tf.Tensor4D;
      if (cam.max().dataSync()[0] <= 0) {
        cam = tf.relu(tf.relu(g).mul(a).sum(3, true)) as tf.Tensor4D;
        method = "layer-cam";
      }
      return tf.image.resizeBilinear(cam, [IMAGE_SIZE, IMAGE_SIZE], true);
    }
    const samples = options.samples ?? 16;
    const grads = tf.grad(score);
    let sum: tf.Tensor = tf.zerosLike(x);
    for (let s = 0; s < samples; s++) {
      const noisy = samples > 1 ? x.add(tf.randomNormal(x.shape, 0, 0.15, "float32", (options.seed ?? 1) + s)) : x;
      sum = sum.add(grads(noisy).mul(x).abs());
    }
    return sum;
  });
  const out = normalised(map);
  map.dispose();
  return { map: out, method, layer: plan.layer, classIndex };
}
