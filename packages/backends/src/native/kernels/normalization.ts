/**
 * Batch normalisation: tfjs's FusedBatchNorm (inference, or any caller of tf.batchNorm) as two
 * native per-channel passes, and the training op FmnistBatchNormTrain (batch statistics and the
 * normalised output in one kernel) with its gradient FmnistBatchNormGrad, which also carries the
 * gradient through the batch mean and variance. ../patches.ts routes tfjs-layers'
 * BatchNormalization layer to them while training on "native".
 */

import * as tf from "@tensorflow/tfjs";
import type { NativeAddon } from "../addon";
import { BinOp, Broadcast } from "../modes";
import { alloc, f32, nativeKernel, out, ownKernel, size, type TensorInfo } from "./common";

export const BATCH_NORM_TRAIN = "FmnistBatchNormTrain";
export const BATCH_NORM_GRAD = "FmnistBatchNormGrad";

export interface BatchNormTrainAttrs {
  epsilon: number;
}

const vals = (b: Parameters<typeof f32>[0], t: TensorInfo) => b.data.get(t.dataId).values as Float32Array;

export function normalizationKernels(addon: NativeAddon): tf.KernelConfig[] {
  // Per-channel (last axis) statistics: scale and shift folded per channel, then one multiply and
  // one add pass in C++, where the cpu kernel indexes four parameter arrays per element.
  const batchNorm = nativeKernel(tf.FusedBatchNorm, ({ inputs, attrs }, backend) => {
    const { x, mean, variance, offset, scale } = inputs as { x: TensorInfo; mean: TensorInfo; variance: TensorInfo; offset?: TensorInfo; scale?: TensorInfo };
    const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
    const xv = f32(backend, x);
    const mv = f32(backend, mean);
    const vv = f32(backend, variance);
    const ov = offset ? f32(backend, offset) : null;
    const sv = scale ? f32(backend, scale) : null;
    const c = x.shape[x.shape.length - 1];
    const perChannel = (v: Float32Array | null | undefined) => v === null || (v !== undefined && v.length === c);
    if (!xv || !perChannel(mv) || !perChannel(vv) || !perChannel(ov) || !perChannel(sv) || c === 0) return undefined;
    const mul = new Float32Array(c);
    const add = new Float32Array(c);
    for (let j = 0; j < c; j++) {
      mul[j] = (sv ? sv[j] : 1) / Math.sqrt(vv![j] + varianceEpsilon);
      add[j] = (ov ? ov[j] : 0) - mv![j] * mul[j];
    }
    const o = alloc(backend, xv.length);
    if (o.length > 0) {
      addon.binary(BinOp.MUL, xv, mul, o, Broadcast.BCAST_B_SUFFIX, c);
      addon.binary(BinOp.ADD, o, add, o, Broadcast.BCAST_B_SUFFIX, c);
    }
    return out(backend, [...x.shape], o);
  });

  const train = ownKernel(BATCH_NORM_TRAIN, ({ inputs, attrs }, b) => {
    const { x, gamma, beta } = inputs as Record<string, TensorInfo>;
    const { epsilon } = attrs as unknown as BatchNormTrainAttrs;
    const c = x.shape[x.shape.length - 1];
    const rows = size(x.shape) / c;
    const y = alloc(b, size(x.shape));
    const mean = new Float32Array(c);
    const variance = new Float32Array(c);
    addon.batchNormTrain(vals(b, x), vals(b, gamma), vals(b, beta), y, mean, variance, rows, c, epsilon);
    return [b.makeTensorInfo([...x.shape], "float32", y), b.makeTensorInfo([c], "float32", mean), b.makeTensorInfo([c], "float32", variance)];
  });

  const grad = ownKernel(BATCH_NORM_GRAD, ({ inputs, attrs }, b) => {
    const { dy, x, gamma, mean, variance } = inputs as Record<string, TensorInfo>;
    const { epsilon } = attrs as unknown as BatchNormTrainAttrs;
    const c = x.shape[x.shape.length - 1];
    const rows = size(x.shape) / c;
    const dx = alloc(b, size(x.shape));
    const dgamma = new Float32Array(c);
    const dbeta = new Float32Array(c);
    addon.batchNormGrad(vals(b, dy), vals(b, x), vals(b, gamma), vals(b, mean), vals(b, variance), dx, dgamma, dbeta, rows, c, epsilon);
    return [b.makeTensorInfo([...x.shape], "float32", dx), b.makeTensorInfo([c], "float32", dgamma), b.makeTensorInfo([c], "float32", dbeta)];
  });

  return [batchNorm, train, grad];
}
