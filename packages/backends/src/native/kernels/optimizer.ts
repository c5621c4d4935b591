/**
 * FmnistAdam: tfjs's Adam update of one variable as one native kernel (three outputs: new value,
 * first and second moment) with exactly the same float32 operations in the same order, so the
 * result is bit-identical to the cpu backend. ../patches.ts routes tf.AdamOptimizer to it.
 */

import type * as tf from "@tensorflow/tfjs";
import type { NativeAddon } from "../addon";
import { alloc, ownKernel } from "./common";

export const ADAM_KERNEL = "FmnistAdam";

export function optimizerKernels(addon: NativeAddon): tf.KernelConfig[] {
  const adam = ownKernel(ADAM_KERNEL, ({ inputs, attrs }, b) => {
    const { x, g, m, v } = inputs as Record<string, tf.TensorInfo>;
    const a = attrs as unknown as Record<string, number>;
    const vals = (t: tf.TensorInfo) => b.data.get(t.dataId).values as Float32Array;
    const n = vals(x).length;
    const xo = alloc(b, n);
    const mo = alloc(b, n);
    const vo = alloc(b, n);
    addon.adam(vals(x), vals(g), vals(m), vals(v), xo, mo, vo, a.b1, a.ob1, a.b2, a.ob2, a.c1, a.c2, a.eps, a.negLr);
    return [b.makeTensorInfo(x.shape, "float32", xo), b.makeTensorInfo(x.shape, "float32", mo), b.makeTensorInfo(x.shape, "float32", vo)];
  });
  return [adam];
}
