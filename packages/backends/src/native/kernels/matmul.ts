/** Matrix products (dense layers) on oneDNN's sgemm: BatchMatMul and _FusedMatMul (bias + ReLU). */

import * as tf from "@tensorflow/tfjs";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { NativeAddon } from "../addon";
import { activationCode, alloc, biasValues, f32, nativeKernel, out, size, type TensorInfo } from "./common";

export function matMulKernels(addon: NativeAddon): tf.KernelConfig[] {
  /** Shared by BatchMatMul and _FusedMatMul: c = a @ b on 3-D views, or undefined. */
  function matMul(
    backend: MathBackendCPU,
    a: TensorInfo,
    b: TensorInfo,
    transposeA: boolean,
    transposeB: boolean,
  ): { values: Float32Array; shape: number[]; n: number } | undefined {
    const av = f32(backend, a);
    const bv = f32(backend, b);
    if (!av || !bv || a.shape.length < 2 || b.shape.length < 2) return undefined;
    const ar = a.shape.length;
    const br = b.shape.length;
    const innerA = transposeA ? a.shape[ar - 2] : a.shape[ar - 1];
    const innerB = transposeB ? b.shape[br - 1] : b.shape[br - 2];
    const m = transposeA ? a.shape[ar - 1] : a.shape[ar - 2];
    const n = transposeB ? b.shape[br - 2] : b.shape[br - 1];
    if (innerA !== innerB) return undefined;
    const batchA = size(a.shape.slice(0, -2));
    const batchB = size(b.shape.slice(0, -2));
    if (batchA !== batchB && batchA !== 1 && batchB !== 1) return undefined;
    const outer = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const shape = [...outer, m, n];
    const batch = Math.max(batchA, batchB);
    if (size(outer) !== batch) return undefined;
    const values = alloc(backend, batch * m * n);
    if (values.length > 0) addon.batchMatMul(av, bv, values, batchA, batchB, m, n, innerA, transposeA ? 1 : 0, transposeB ? 1 : 0);
    return { values, shape, n };
  }

  const batchMatMul = nativeKernel(tf.BatchMatMul, ({ inputs, attrs }, backend) => {
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
    const r = matMul(backend, a, b, transposeA, transposeB);
    return r && out(backend, r.shape, r.values);
  });

  const fusedMatMul = nativeKernel(tf._FusedMatMul, ({ inputs, attrs }, backend) => {
    const { a, b, bias, preluActivationWeights } = inputs as {
      a: TensorInfo;
      b: TensorInfo;
      bias?: TensorInfo;
      preluActivationWeights?: TensorInfo;
    };
    const { transposeA, transposeB, activation } = attrs as unknown as tf._FusedMatMulAttrs;
    const act = activationCode(activation);
    if (act === undefined || preluActivationWeights) return undefined;
    const n = transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
    const bv = biasValues(backend, bias, n);
    if (bv === undefined) return undefined;
    const r = matMul(backend, a, b, transposeA, transposeB);
    if (!r) return undefined;
    if (r.values.length > 0 && (bv || act)) addon.biasAct(r.values, bv, r.values.length / n, n, act);
    return out(backend, r.shape, r.values);
  });

  return [batchMatMul, fusedMatMul];
}
