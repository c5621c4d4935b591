/**
 * Reductions: Sum and Mean over any contiguous run of axes (bias gradients and batch statistics
 * over the leading axes, global average pooling over H and W, losses over the last axis) in C++
 * with double accumulation, and Softmax over the last axis.
 */

import * as tf from "@tensorflow/tfjs";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { NativeAddon } from "../addon";
import { BinOp, Broadcast } from "../modes";
import { alloc, f32, nativeKernel, out, size, type TensorInfo } from "./common";

export function reductionKernels(addon: NativeAddon): tf.KernelConfig[] {
  /** Sum over a contiguous run of axes as [outer, mid, inner] summed over mid; other axis sets
   * return undefined (the cpu kernel). */
  function reduceSum(backend: MathBackendCPU, x: TensorInfo, axis: number | number[], keepDims: boolean) {
    const xv = f32(backend, x);
    if (!xv) return undefined;
    const axes = [...new Set(tf.util.parseAxisParam(axis, x.shape))].sort((p, q) => p - q);
    if (axes.length === 0) return undefined;
    const outShape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    const first = axes[0];
    const last = axes[axes.length - 1];
    if (last - first + 1 !== axes.length) return undefined;
    const o = alloc(backend, size(outShape));
    const outer = size(x.shape.slice(0, first));
    const mid = size(x.shape.slice(first, last + 1));
    const inner = size(x.shape.slice(last + 1));
    if (o.length === 0) return { outShape, o, count: 0 };
    if (outer === 1) addon.sumRows(xv, o, mid, o.length);
    else if (inner === 1) addon.sumCols(xv, o, o.length, mid);
    else addon.sumMid(xv, o, outer, mid, inner);
    return { outShape, o, count: xv.length / o.length };
  }

  const sum = nativeKernel(tf.Sum, ({ inputs, attrs }, backend) => {
    const { axis, keepDims } = attrs as unknown as tf.SumAttrs;
    const r = reduceSum(backend, (inputs as { x: TensorInfo }).x, axis, keepDims);
    return r && out(backend, r.outShape, r.o);
  });

  const mean = nativeKernel(tf.Mean, ({ inputs, attrs }, backend) => {
    const { axis, keepDims } = attrs as unknown as tf.MeanAttrs;
    const r = reduceSum(backend, (inputs as { x: TensorInfo }).x, axis, keepDims);
    if (!r) return undefined;
    if (r.o.length > 0) addon.binary(BinOp.DIV, r.o, Float32Array.of(r.count), r.o, Broadcast.BCAST_B_SCALAR, 0);
    return out(backend, r.outShape, r.o);
  });

  const softmax = nativeKernel(tf.Softmax, ({ inputs, attrs }, backend) => {
    const { logits } = inputs as { logits: TensorInfo };
    const { dim } = attrs as unknown as tf.SoftmaxAttrs;
    const xv = f32(backend, logits);
    const rank = logits.shape.length;
    if (!xv || rank === 0 || (dim !== -1 && dim !== rank - 1)) return undefined;
    const cols = logits.shape[rank - 1];
    const o = alloc(backend, xv.length);
    if (o.length > 0) addon.softmax(xv, o, o.length / cols, cols);
    return out(backend, [...logits.shape], o);
  });

  return [sum, mean, softmax];
}
