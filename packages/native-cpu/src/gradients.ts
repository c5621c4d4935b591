/**
 * Gradient of Relu for the native backend. tfjs computes it as mul(dy, cast(step(x))): three
 * kernels and two full passes over the activation. While "native" is the active backend this
 * registration runs one native kernel (FmnistReluGrad) that computes exactly dy * step(x); on
 * any other backend it runs tfjs's own formula. Gradients are registered per kernel name, not per
 * backend, hence the check at run time.
 */

import * as tf from "@tensorflow/tfjs";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { NativeAddon } from "./addon";
import { alloc, BACKEND_NAME, kernelStats } from "./kernels";

export const RELU_GRAD_KERNEL = "FmnistReluGrad";

export function reluGradKernel(addon: NativeAddon): tf.KernelConfig {
  return {
    kernelName: RELU_GRAD_KERNEL,
    backendName: BACKEND_NAME,
    kernelFunc: ({ inputs, backend }) => {
      const b = backend as MathBackendCPU;
      const { dy, x } = inputs as Record<string, tf.TensorInfo>;
      const dyv = b.data.get(dy.dataId).values as Float32Array;
      const xv = b.data.get(x.dataId).values as Float32Array;
      const o = alloc(b, dyv.length);
      if (o.length > 0) addon.reluGrad(dyv, xv, o);
      kernelStats.native.set(RELU_GRAD_KERNEL, (kernelStats.native.get(RELU_GRAD_KERNEL) ?? 0) + 1);
      return b.makeTensorInfo([...dy.shape], "float32", o);
    },
  };
}

const REGISTERED = Symbol.for("fmnist.nativeReluGrad");

function useNative(dy: tf.Tensor, x: tf.Tensor): boolean {
  return (
    tf.getBackend() === BACKEND_NAME &&
    dy.dtype === "float32" &&
    x.dtype === "float32" &&
    dy.size === x.size &&
    tf.getKernel(RELU_GRAD_KERNEL, BACKEND_NAME) !== undefined
  );
}

const reluGrad = (dy: tf.Tensor, x: tf.Tensor): tf.Tensor =>
  useNative(dy, x)
    ? (tf.engine().runKernel(RELU_GRAD_KERNEL, { dy, x }, {}) as tf.Tensor)
    : tf.mul(dy, tf.cast(tf.step(x), "float32"));

/** Replaces the gradient of Relu (idempotent; same results on every backend). */
export function registerReluGradient(): void {
  const g = globalThis as unknown as Record<symbol, boolean>;
  if (g[REGISTERED]) return;
  g[REGISTERED] = true;
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
