/** Max pooling and its gradient as C++ loops (multi-versioned for AVX-512 / AVX2). */

import * as tf from "@tensorflow/tfjs";
import type { NativeAddon } from "../addon";
import { alloc, type Conv2DInfo, f32, nativeKernel, out, size, type TensorInfo } from "./common";

function poolParams(c: Conv2DInfo): Int32Array {
  return Int32Array.from([
    c.batchSize,
    c.inHeight,
    c.inWidth,
    c.inChannels,
    c.filterHeight,
    c.filterWidth,
    c.strideHeight,
    c.strideWidth,
    c.dilationHeight,
    c.dilationWidth,
    c.padInfo.top,
    c.padInfo.left,
    c.outHeight,
    c.outWidth,
  ]);
}

export function poolingKernels(addon: NativeAddon): tf.KernelConfig[] {
  const maxPool = nativeKernel(tf.MaxPool, ({ inputs, attrs }, backend) => {
    const { x } = inputs as { x: TensorInfo };
    const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolAttrs;
    const xv = f32(backend, x);
    if (!xv || x.shape.length !== 4) return undefined;
    const info = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
    if (info.filterWidth === 1 && info.filterHeight === 1 && tf.util.arraysEqual(info.inShape, info.outShape)) return undefined;
    const o = alloc(backend, size(info.outShape));
    if (o.length > 0) addon.maxPool(xv, o, poolParams(info));
    return out(backend, info.outShape, o);
  });

  const maxPoolGrad = nativeKernel(tf.MaxPoolGrad, ({ inputs, attrs }, backend) => {
    const { dy, input, output } = inputs as { dy: TensorInfo; input: TensorInfo; output: TensorInfo };
    const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
    const dyv = f32(backend, dy);
    const xv = f32(backend, input);
    if (!dyv || !xv || input.shape.length !== 4) return undefined;
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
    const o = alloc(backend, xv.length);
    const yv = output ? f32(backend, output) : undefined;
    const disjoint = info.strideHeight >= info.effectiveFilterHeight && info.strideWidth >= info.effectiveFilterWidth;
    if (o.length === 0) {
      // nothing to do
    } else if (disjoint && yv && yv.length === dyv.length) {
      // Non-overlapping windows (2x2/2): one pass using the forward output.
      addon.maxPoolGradDisjoint(dyv, xv, yv, o, poolParams(info));
    } else {
      addon.maxPoolGrad(dyv, xv, o, poolParams(info));
    }
    return out(backend, [...input.shape], o);
  });

  return [maxPool, maxPoolGrad];
}
