/**
 * Convolutions on oneDNN: tfjs's Conv2D, FusedConv2D and both gradients, and our fused training op
 * FmnistConvBiasAct (convolution + bias + ReLU in one primitive; see ../patches.ts for why and when
 * tf.fused.conv2d is routed to it) with its two gradient kernels.
 */

import * as tf from "@tensorflow/tfjs";
import type { NativeAddon } from "../addon";
import { ConvMode } from "../modes";
import { activationCode, alloc, biasValues, conv2dInfo, convParams, f32, nativeKernel, out, ownKernel, size, type TensorInfo } from "./common";

export const CONV_FUSED = "FmnistConvBiasAct";
export const CONV_FUSED_GRAD_FILTER = "FmnistConvBiasActBackpropFilter";
export const CONV_FUSED_GRAD_INPUT = "FmnistConvBiasActBackpropInput";

/** Attributes of FmnistConvBiasAct (and, with filterShape / inputShape, of its gradients). */
export interface FusedConvAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number;
  dimRoundingMode?: "floor" | "round" | "ceil";
  act: number;
  hasBias: boolean;
}

const vals = (b: Parameters<typeof f32>[0], t: TensorInfo) => b.data.get(t.dataId).values as Float32Array;

/** The addon's parameters for a fused kernel: always NHWC, no dilation, so they always exist. */
const fusedParams = (xShape: number[], filterShape: number[], a: FusedConvAttrs) => {
  const info = conv2dInfo(xShape, filterShape, a.strides, 1, a.pad, a.dimRoundingMode);
  return { info, params: convParams(info)! };
};

export function convKernels(addon: NativeAddon): tf.KernelConfig[] {
  const conv2d = nativeKernel(tf.Conv2D, ({ inputs, attrs }, backend) => {
    const { x, filter } = inputs as { x: TensorInfo; filter: TensorInfo };
    const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs as unknown as tf.Conv2DAttrs;
    const xv = f32(backend, x);
    const wv = f32(backend, filter);
    if (!xv || !wv) return undefined;
    const info = conv2dInfo(x.shape, filter.shape, strides, dilations, pad, dimRoundingMode, dataFormat);
    const p = convParams(info);
    if (!p) return undefined;
    const o = alloc(backend, size(info.outShape));
    if (o.length > 0) addon.conv2d(ConvMode.CONV_FORWARD, xv, wv, o, p);
    return out(backend, info.outShape, o);
  });

  const fusedConv2d = nativeKernel(tf.FusedConv2D, ({ inputs, attrs }, backend) => {
    const { x, filter, bias, preluActivationWeights } = inputs as {
      x: TensorInfo;
      filter: TensorInfo;
      bias?: TensorInfo;
      preluActivationWeights?: TensorInfo;
    };
    const { strides, pad, dataFormat, dilations, dimRoundingMode, activation } = attrs as unknown as tf.FusedConv2DAttrs;
    const act = activationCode(activation);
    if (act === undefined || preluActivationWeights) return undefined;
    const xv = f32(backend, x);
    const wv = f32(backend, filter);
    if (!xv || !wv) return undefined;
    const info = conv2dInfo(x.shape, filter.shape, strides, dilations, pad, dimRoundingMode, dataFormat);
    const p = convParams(info);
    const bv = biasValues(backend, bias, info.outChannels);
    if (!p || bv === undefined) return undefined;
    const o = alloc(backend, size(info.outShape));
    // One oneDNN pass: convolution, bias and ReLU as a post-op.
    if (o.length > 0) addon.convFused(ConvMode.CONV_FORWARD, xv, wv, bv, o, p, act);
    return out(backend, info.outShape, o);
  });

  const conv2dBackpropInput = nativeKernel(tf.Conv2DBackpropInput, ({ inputs, attrs }, backend) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const { inputShape, strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const dyv = f32(backend, dy);
    const wv = f32(backend, filter);
    if (!dyv || !wv) return undefined;
    const info = conv2dInfo(inputShape, filter.shape, strides, 1, pad, dimRoundingMode, dataFormat);
    const p = convParams(info);
    if (!p) return undefined;
    const o = alloc(backend, size(info.inShape));
    if (o.length > 0 && dyv.length > 0) addon.conv2d(ConvMode.CONV_INPUT_GRAD, dyv, wv, o, p);
    else o.fill(0);
    return out(backend, [...info.inShape], o);
  });

  const conv2dBackpropFilter = nativeKernel(tf.Conv2DBackpropFilter, ({ inputs, attrs }, backend) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    const xv = f32(backend, x);
    const dyv = f32(backend, dy);
    if (!xv || !dyv) return undefined;
    const info = conv2dInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode, dataFormat);
    const p = convParams(info);
    if (!p) return undefined;
    const o = alloc(backend, size(filterShape));
    if (o.length > 0 && dyv.length > 0 && xv.length > 0) addon.conv2d(ConvMode.CONV_FILTER_GRAD, xv, dyv, o, p);
    else o.fill(0);
    return out(backend, [...filterShape], o);
  });

  const convBiasAct = ownKernel(CONV_FUSED, ({ inputs, attrs }, b) => {
    const { x, filter, bias } = inputs as Record<string, TensorInfo | undefined>;
    const a = attrs as unknown as FusedConvAttrs;
    const { info, params } = fusedParams(x!.shape, filter!.shape, a);
    const y = alloc(b, size(info.outShape));
    if (y.length > 0) addon.convFused(ConvMode.CONV_FORWARD, vals(b, x!), vals(b, filter!), bias ? vals(b, bias) : null, y, params, a.act);
    return b.makeTensorInfo(info.outShape, "float32", y);
  });

  const convBiasActFilter = ownKernel(CONV_FUSED_GRAD_FILTER, ({ inputs, attrs }, b) => {
    const { x, dy, y } = inputs as Record<string, TensorInfo>;
    const a = attrs as unknown as FusedConvAttrs & { filterShape: number[] };
    const { info, params } = fusedParams(x.shape, a.filterShape, a);
    const dw = alloc(b, size(a.filterShape));
    const db = a.hasBias ? alloc(b, info.outChannels) : null;
    if (size(dy.shape) > 0 && size(x.shape) > 0) {
      addon.convFused(ConvMode.CONV_FILTER_GRAD, vals(b, x), vals(b, dy), vals(b, y), dw, params, a.act, db);
    } else {
      dw.fill(0);
      db?.fill(0);
    }
    const outs = [b.makeTensorInfo([...a.filterShape], "float32", dw)];
    if (db) outs.push(b.makeTensorInfo([info.outChannels], "float32", db));
    return outs;
  });

  const convBiasActInput = ownKernel(CONV_FUSED_GRAD_INPUT, ({ inputs, attrs }, b) => {
    const { dy, filter, y } = inputs as Record<string, TensorInfo>;
    const a = attrs as unknown as FusedConvAttrs & { inputShape: number[] };
    const { params } = fusedParams(a.inputShape, filter.shape, a);
    const dx = alloc(b, size(a.inputShape));
    if (size(dy.shape) > 0) addon.convFused(ConvMode.CONV_INPUT_GRAD, vals(b, dy), vals(b, filter), vals(b, y), dx, params, a.act);
    else dx.fill(0);
    return b.makeTensorInfo([...a.inputShape], "float32", dx);
  });

  return [conv2d, fusedConv2d, conv2dBackpropInput, conv2dBackpropFilter, convBiasAct, convBiasActFilter, convBiasActInput];
}
