/**
 * Fused Adam step for the "native" backend.
 *
 * tfjs's AdamOptimizer.applyGradients runs 14 small kernels per variable (mul, add, square, div,
 * sqrt, ...). While the native backend is active, this replaces them with one native kernel per
 * variable ("FmnistAdam", three outputs: new value, first and second moment) that performs exactly
 * the same float32 operations in the same order, so the result is bit-identical to the cpu
 * backend. Optimizer state (moment variables, accBeta1/2, iterations) is kept in the optimizer's
 * own fields, so getWeights/setWeights and serialisation are unchanged. On any other backend the
 * original method runs.
 */

import * as tf from "@tensorflow/tfjs";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { NativeAddon } from "./addon";
import { alloc, BACKEND_NAME, kernelStats } from "./kernels";

export const ADAM_KERNEL = "FmnistAdam";

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

export function adamKernel(addon: NativeAddon): tf.KernelConfig {
  return {
    kernelName: ADAM_KERNEL,
    backendName: BACKEND_NAME,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as MathBackendCPU;
      const { x, g, m, v } = inputs as Record<string, tf.TensorInfo>;
      const a = attrs as unknown as Record<string, number>;
      const vals = (t: tf.TensorInfo) => b.data.get(t.dataId).values as Float32Array;
      const n = vals(x).length;
      const xo = alloc(b, n);
      const mo = alloc(b, n);
      const vo = alloc(b, n);
      addon.adam(vals(x), vals(g), vals(m), vals(v), xo, mo, vo, a.b1, a.ob1, a.b2, a.ob2, a.c1, a.c2, a.eps, a.negLr);
      kernelStats.native.set(ADAM_KERNEL, (kernelStats.native.get(ADAM_KERNEL) ?? 0) + 1);
      return [b.makeTensorInfo(x.shape, "float32", xo), b.makeTensorInfo(x.shape, "float32", mo), b.makeTensorInfo(x.shape, "float32", vo)];
    },
  };
}

const PATCHED = Symbol.for("fmnist.nativeAdamPatched");
let enabled = true;

/** Turns the fused path on or off (the patch itself stays installed). */
export function setFusedAdam(on: boolean): void {
  enabled = on;
}

/** Installs the fused path on tf.AdamOptimizer (idempotent). */
export function patchAdam(): void {
  const proto = tf.AdamOptimizer.prototype as unknown as Record<string | symbol, unknown>;
  if (proto[PATCHED]) return;
  const original = proto.applyGradients as (this: unknown, vg: tf.NamedTensorMap | NamedTensor[]) => void;
  proto[PATCHED] = true;
  proto.applyGradients = function applyGradients(this: AdamInternals, variableGradients: tf.NamedTensorMap | NamedTensor[]) {
    if (!enabled || tf.getBackend() !== BACKEND_NAME || !tf.getKernel(ADAM_KERNEL, BACKEND_NAME)) {
      return original.call(this, variableGradients);
    }
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    const fr = Math.fround;
    tf.tidy(() => {
      // The scalars tfjs would make: float32 constants and 1 - beta^t computed in float32.
      const c1 = fr(1 - (this.accBeta1.dataSync()[0] as number));
      const c2 = fr(1 - (this.accBeta2.dataSync()[0] as number));
      const attrs = {
        b1: fr(this.beta1),
        ob1: fr(1 - this.beta1),
        b2: fr(this.beta2),
        ob2: fr(1 - this.beta2),
        c1,
        c2,
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
          throw new Error(`@fmnist/native-cpu Adam: ${name} is ${value.dtype}/${gradient.dtype}, expected float32`);
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
