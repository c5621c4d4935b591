/**
 * Every change the native backend makes to tfjs outside its own kernel registry, in one place.
 * Each patch is installed once per process (idempotent), only takes its fast path while "native"
 * is the active backend, and otherwise calls the original, so other backends behave exactly as in
 * stock tfjs. What is patched, and why:
 *
 * 1. `tf.AdamOptimizer.prototype.applyGradients`: tfjs runs 14 small kernels per variable per
 *    step; on "native" one FmnistAdam kernel per variable does the same float32 operations in the
 *    same order (bit-identical). Optimizer state stays in the optimizer's own fields, so
 *    getWeights/setWeights and serialisation are unchanged. Switch: setFusedAdam.
 * 2. `tf.fused.conv2d`: tfjs only fuses outside gradient recording, so while training a Conv2D
 *    layer runs Conv2D, Add (bias), Relu forward and ReluGrad, Sum, two convolution gradients
 *    backward, each a full pass over the activation. While recording gradients on "native" it runs
 *    FmnistConvBiasAct (one oneDNN convolution with bias and a ReLU post-op); its registered
 *    gradient computes the bias gradient inside the filter-gradient pass and the input gradient
 *    only when something upstream needs it. Switch: setFusedConv.
 * 3. The gradient of `Relu` (tf.registerGradient, which is per kernel name, not per backend):
 *    tfjs computes mul(dy, cast(step(x))), three kernels; on "native" one FmnistReluGrad kernel.
 *    On other backends the replacement runs tfjs's own formula.
 * 4. tfjs-layers' `BatchNormalization.prototype.call` in training: tfjs computes tf.moments (Mean,
 *    SquaredDifference, Mean), then FusedBatchNorm, and backward the gradients of all three: about
 *    twenty full passes over the activation (Tile, Sub, Multiply, RealDiv, Sum, ...). On "native"
 *    one FmnistBatchNormTrain kernel (statistics + output) and one FmnistBatchNormGrad kernel (the
 *    gradient through the statistics too); the moving averages are updated as tfjs-layers does.
 *    Inference (training false) is untouched. Switch: setFusedBatchNorm.
 */

import * as tf from "@tensorflow/tfjs";
import {
  ADAM_KERNEL,
  BACKEND_NAME,
  BATCH_NORM_GRAD,
  BATCH_NORM_TRAIN,
  type BatchNormTrainAttrs,
  CONV_FUSED,
  CONV_FUSED_GRAD_FILTER,
  CONV_FUSED_GRAD_INPUT,
  type FusedConvAttrs,
  RELU_GRAD_KERNEL,
} from "./kernels";
import { Activation } from "./modes";

const switches = { adam: true, conv: true, batchNorm: true };

/** Turns the fused Adam path on or off (the patch stays installed). */
export function setFusedAdam(on: boolean): void {
  switches.adam = on;
}
/** Turns the fused convolution training path on or off. */
export function setFusedConv(on: boolean): void {
  switches.conv = on;
}
/** Turns the fused batch-normalisation training path on or off. */
export function setFusedBatchNorm(on: boolean): void {
  switches.batchNorm = on;
}

const onNative = (kernel: string) => tf.getBackend() === BACKEND_NAME && tf.getKernel(kernel, BACKEND_NAME) !== undefined;

const INSTALLED = Symbol.for("fmnist.nativePatches");

/** Installs the four patches above (idempotent). */
export function installPatches(): void {
  const g = globalThis as unknown as Record<symbol, boolean>;
  if (g[INSTALLED]) return;
  g[INSTALLED] = true;
  patchAdam();
  patchFusedConv();
  patchReluGradient();
  patchBatchNormalization();
}

// 1. Adam ---------------------------------------------------------------------------------------

type NamedTensor = { name: string; tensor: tf.Tensor };

interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: ({ originalName: string; variable: tf.Variable } | null)[];
  accumulatedSecondMoment: ({ originalName: string; variable: tf.Variable } | null)[];
  incrementIterations(): void;
}

function patchAdam(): void {
  const proto = tf.AdamOptimizer.prototype as unknown as Record<string, unknown>;
  const original = proto.applyGradients as (this: unknown, vg: tf.NamedTensorMap | NamedTensor[]) => void;
  proto.applyGradients = function applyGradients(this: AdamInternals, variableGradients: tf.NamedTensorMap | NamedTensor[]) {
    if (!switches.adam || !onNative(ADAM_KERNEL)) return original.call(this, variableGradients);
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    const fr = Math.fround;
    tf.tidy(() => {
      // The scalars tfjs would make: float32 constants and 1 - beta^t computed in float32.
      const attrs = {
        b1: fr(this.beta1),
        ob1: fr(1 - this.beta1),
        b2: fr(this.beta2),
        ob2: fr(1 - this.beta2),
        c1: fr(1 - (this.accBeta1.dataSync()[0] as number)),
        c2: fr(1 - (this.accBeta2.dataSync()[0] as number)),
        eps: fr(this.epsilon),
        negLr: fr(-this.learningRate),
      };
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name];
        if (this.accumulatedFirstMoment[i] == null) {
          this.accumulatedFirstMoment[i] = { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        }
        if (this.accumulatedSecondMoment[i] == null) {
          this.accumulatedSecondMoment[i] = { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        }
        const gradient = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
        if (gradient == null) return;
        const m = this.accumulatedFirstMoment[i]!.variable;
        const v = this.accumulatedSecondMoment[i]!.variable;
        if (value.dtype !== "float32" || gradient.dtype !== "float32") {
          throw new Error(`@fmnist/backends Adam: ${name} is ${value.dtype}/${gradient.dtype}, expected float32`);
        }
        const [x2, m2, v2] = tf.engine().runKernel(ADAM_KERNEL, { x: value, g: gradient, m, v }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
        m.assign(m2);
        v.assign(v2);
        value.assign(x2);
      });
      this.accBeta1.assign(tf.mul(this.accBeta1, this.beta1));
      this.accBeta2.assign(tf.mul(this.accBeta2, this.beta2));
    });
    this.incrementIterations();
  };
}

// 2. tf.fused.conv2d ----------------------------------------------------------------------------

type FusedConvArgs = Parameters<typeof tf.fused.conv2d>[0];

function patchFusedConv(): void {
  tf.registerGradient({
    kernelName: CONV_FUSED,
    inputsToSave: ["x", "filter"],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter, y] = saved;
      const a = attrs as unknown as FusedConvAttrs;
      // Filter (and bias) gradient eagerly, in one kernel; the input gradient lazily, so it is
      // never computed for the first layer (whose input needs no gradient).
      const grads = tf.engine().runKernel(CONV_FUSED_GRAD_FILTER, { x, dy: dy as tf.Tensor, y }, {
        ...a,
        filterShape: filter.shape,
      } as unknown as tf.NamedAttrMap) as tf.Tensor[];
      const out: Record<string, () => tf.Tensor> = {
        x: () =>
          tf.engine().runKernel(CONV_FUSED_GRAD_INPUT, { dy: dy as tf.Tensor, filter, y }, {
            ...a,
            inputShape: x.shape,
          } as unknown as tf.NamedAttrMap) as tf.Tensor,
        filter: () => grads[0],
      };
      if (a.hasBias) out.bias = () => grads[1];
      return out;
    },
  });

  const fused = tf.fused as unknown as { conv2d: (args: FusedConvArgs) => tf.Tensor };
  const original = fused.conv2d;
  fused.conv2d = function conv2d(args: FusedConvArgs) {
    const route = switches.conv && onNative(CONV_FUSED) && tf.engine().state.gradientDepth > 0 ? planFusedConv(args) : undefined;
    if (!route) return original(args);
    return tf.engine().runKernel(CONV_FUSED, route.inputs, route.attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  };
}

/** The fused kernel's inputs and attributes, or undefined when the call is not one it covers
 * (dilations, other activations, NCHW, prelu: the original function). */
function planFusedConv(args: FusedConvArgs): { inputs: tf.NamedTensorMap; attrs: FusedConvAttrs } | undefined {
  const { x, filter, strides, pad, dataFormat = "NHWC", dilations = [1, 1], dimRoundingMode, bias, activation = "linear", preluActivationWeights } = args;
  if (!(x instanceof tf.Tensor) || !(filter instanceof tf.Tensor)) return undefined;
  if (x.rank !== 4 || filter.rank !== 4 || x.dtype !== "float32" || filter.dtype !== "float32") return undefined;
  if (dataFormat !== "NHWC" || preluActivationWeights) return undefined;
  if (!(dilations === 1 || (Array.isArray(dilations) && dilations.every((d) => d === 1)))) return undefined;
  if (activation !== "relu" && activation !== "linear") return undefined;
  if (x.shape[3] !== filter.shape[2]) return undefined;
  if (typeof pad !== "string" && typeof pad !== "number") return undefined;
  const inputs: tf.NamedTensorMap = { x, filter };
  if (bias != null) {
    if (!(bias instanceof tf.Tensor) || bias.dtype !== "float32" || bias.rank !== 1 || bias.shape[0] !== filter.shape[3]) return undefined;
    inputs.bias = bias;
  }
  const act = activation === "relu" ? Activation.ACT_RELU : Activation.ACT_LINEAR;
  return { inputs, attrs: { strides, pad: pad as FusedConvAttrs["pad"], dimRoundingMode, act, hasBias: bias != null } };
}

// 3. The Relu gradient --------------------------------------------------------------------------

function reluGrad(dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  const native = onNative(RELU_GRAD_KERNEL) && dy.dtype === "float32" && x.dtype === "float32" && dy.size === x.size;
  return native ? (tf.engine().runKernel(RELU_GRAD_KERNEL, { dy, x }, {}) as tf.Tensor) : tf.mul(dy, tf.cast(tf.step(x), "float32"));
}

function patchReluGradient(): void {
  tf.registerGradient({
    kernelName: tf.Relu,
    inputsToSave: ["x"],
    gradFunc: (dy, saved) => {
      const [x] = saved;
      return { x: () => reluGrad(dy as tf.Tensor, x) };
    },
  });
  // Second-order gradients through the fused kernel: linear in dy, zero almost everywhere in x.
  tf.registerGradient({
    kernelName: RELU_GRAD_KERNEL,
    inputsToSave: ["x"],
    gradFunc: (ddy, saved) => {
      const [x] = saved;
      return { dy: () => reluGrad(ddy as tf.Tensor, x), x: () => tf.zerosLike(x) };
    },
  });
}

// 4. BatchNormalization -------------------------------------------------------------------------

/** The fields of tfjs-layers' BatchNormalization layer the training path reads. */
interface BatchNormLayer {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: { read(): tf.Tensor } | null;
  beta: { read(): tf.Tensor } | null;
  movingMean: { read(): tf.Tensor; write(v: tf.Tensor): void };
  movingVariance: { read(): tf.Tensor; write(v: tf.Tensor): void };
}

type LayerCall = (this: BatchNormLayer, inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

function patchBatchNormalization(): void {
  tf.registerGradient({
    kernelName: BATCH_NORM_TRAIN,
    inputsToSave: ["x", "gamma"],
    outputsToSave: [false, true, true],
    gradFunc: (dys, saved, attrs) => {
      const [x, gamma, mean, variance] = saved;
      const [dy, dMean, dVariance] = dys as tf.Tensor[];
      const [dx, dGamma, dBeta] = tf.engine().runKernel(BATCH_NORM_GRAD, { dy, x, gamma, mean, variance }, attrs) as tf.Tensor[];
      // Gradients that reach the batch statistics themselves (a Keras layer never differentiates
      // through them; tfjs hands in zeros then): d mean / dx = 1/M, d variance / dx = 2 (x - mean) / M.
      const reaches = (t: tf.Tensor | undefined) => t != null && (t.dataSync() as Float32Array).some((v) => v !== 0);
      const m = x.size / mean.size;
      const xGrad = () => {
        if (!reaches(dMean) && !reaches(dVariance)) return dx;
        return tf.tidy(() => tf.add(dx, tf.div(tf.add(dMean, tf.mul(tf.mul(dVariance, 2), tf.sub(x, mean))), m)));
      };
      return { x: xGrad, gamma: () => dGamma, beta: () => dBeta };
    },
  });

  // tfjs-layers registers its classes for deserialisation: the class without building a layer
  // (building one would advance the automatic layer-name counters of the user's models).
  // Without tfjs-layers loaded there is no layer to route (test/dispatch.test.ts fails if a
  // training step's batch normalisation stops reaching the fused kernels).
  const entry = tf.serialization.SerializationMap.getMap().classNameMap.BatchNormalization as unknown as [{ prototype: Record<string, unknown> }] | undefined;
  if (!entry) return;
  const proto = entry[0].prototype;
  const original = proto.call as LayerCall;
  proto.call = function call(this: BatchNormLayer, inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) {
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    const axis = this.axis >= 0 ? this.axis : this.axis + (input?.rank ?? 0);
    const fast =
      switches.batchNorm &&
      kwargs?.training === true &&
      onNative(BATCH_NORM_TRAIN) &&
      (!Array.isArray(inputs) || inputs.length === 1) &&
      input instanceof tf.Tensor &&
      input.dtype === "float32" &&
      input.rank >= 2 &&
      axis === input.rank - 1 &&
      input.size > 0 &&
      this.center &&
      this.scale &&
      this.gamma != null &&
      this.beta != null;
    if (!fast) return original.call(this, inputs, kwargs);
    return tf.tidy(() => {
      const attrs: BatchNormTrainAttrs = { epsilon: this.epsilon };
      const [y, mean, variance] = tf.engine().runKernel(
        BATCH_NORM_TRAIN,
        { x: input, gamma: this.gamma!.read(), beta: this.beta!.read() },
        attrs as unknown as tf.NamedAttrMap,
      ) as tf.Tensor[];
      // The moving averages exactly as tfjs-layers updates them.
      const movingAverage = (variable: BatchNormLayer["movingMean"], value: tf.Tensor) =>
        tf.tidy(() => {
          const decay = 1 - this.momentum;
          const orig = variable.read();
          variable.write(tf.sub(orig, tf.mul(tf.sub(orig, value), decay)));
        });
      movingAverage(this.movingMean, mean);
      movingAverage(this.movingVariance, variance);
      return y;
    });
  };
}
