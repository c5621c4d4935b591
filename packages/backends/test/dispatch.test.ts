/**
 * Which kernels one training step (forward, backward, Adam update; trainOnBatch as the trainer's
 * fit() runs it) of every built-in architecture dispatches on the "native" backend, and that none
 * of them runs tfjs's pure-JS cpu implementation on real data. Kernels are recorded at the engine
 * (tf.profile: every kernel the engine runs, with its input shapes); a kernel is native when the
 * addon implements it (nativeKernelNames) and it did not fall back for these inputs
 * (kernelStats.fallbackLargest). Skipped with a note when the addon is not built.
 */
import { ARCHITECTURE_NAMES, buildModel } from "@fmnist/model";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { kernelStats, nativeKernelNames, registerNativeBackend, resetKernelStats } from "../src/native/index";

const reg = await registerNativeBackend({ threads: 2 });
if (!reg.ok) console.warn(`native dispatch tests skipped: ${reg.reason}`);

/** Kernels that move no data through arithmetic: they relabel a tensor's shape or dtype (Reshape,
 * Identity, ExpandDims and Squeeze share the input's storage; Cast of float32 to float32 too) or
 * fill a constant. Running them in JS costs a few microseconds of bookkeeping, not a pass over an
 * activation. */
export const TRIVIAL_SHAPE_OPS = new Set(["Reshape", "Identity", "ExpandDims", "Squeeze", "Cast", "ZerosLike", "OnesLike", "Fill"]);

/** The batch of the step; cpu kernels whose every input is at most BATCH x classes values are the
 * loss's and the accuracy metric's (clip, argmax, equal, select, the clip's gradient mask, the mean
 * of the metric's 0/1 values, which tfjs stores as bytes), which run on [batch, 10] and never on an
 * activation: listed apart, and asserted to stay that small. */
const BATCH = 16;
const LOGITS = BATCH * 10;

interface Dispatch {
  native: Map<string, number>;
  trivial: Map<string, number>;
  /** cpu kernels on at most LOGITS values per input: name -> largest input. */
  lossSized: Map<string, number>;
  /** cpu kernels on anything larger, or native kernels that fell back: name -> largest input. */
  fallbacks: Map<string, number>;
}

async function oneStep(build: () => tf.LayersModel): Promise<Dispatch> {
  await tf.setBackend("native");
  const model = build();
  model.compile({ optimizer: tf.train.adam(1e-3), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  const xs = tf.randomUniform([BATCH, 28, 28, 1], 0, 1, "float32", 1);
  const ys = tf.oneHot(tf.tensor1d(Array.from({ length: BATCH }, (_, i) => i % 10), "int32"), 10).toFloat();
  await model.trainOnBatch(xs, ys); // first step: optimizer state created
  resetKernelStats();
  const info = await tf.profile(async () => {
    await model.trainOnBatch(xs, ys);
  });
  // Native kernels that fell back on anything larger than the loss's [batch, 10].
  const fell = new Set([...kernelStats.fallbackLargest].filter(([, n]) => n > LOGITS).map(([name]) => name));
  const natives = nativeKernelNames();
  const d: Dispatch = { native: new Map(), trivial: new Map(), lossSized: new Map(), fallbacks: new Map() };
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, Math.max(m.get(k) ?? 0, v));
  for (const k of info.kernels) {
    // tf.customGrad ops (tf.fused.matMul's "fusedMatMul__op") are recorded as well as the kernels
    // they run, which are checked themselves.
    if (k.name.endsWith("__op")) continue;
    const largest = Math.max(0, ...k.inputShapes.map((s) => (s ?? []).reduce((p, q) => p * q, 1)));
    if (natives.has(k.name) && !fell.has(k.name)) add(d.native, k.name, largest);
    else if (TRIVIAL_SHAPE_OPS.has(k.name)) add(d.trivial, k.name, largest);
    else if (largest <= LOGITS) add(d.lossSized, k.name, largest);
    else add(d.fallbacks, k.name, largest);
  }
  tf.dispose([xs, ys]);
  model.dispose();
  return d;
}

describe.skipIf(!reg.ok)("kernels of one training step on the native backend", () => {
  beforeAll(async () => {
    await tf.setBackend("native");
  });

  for (const architecture of ARCHITECTURE_NAMES) {
    it(`${architecture}: no kernel falls back to the pure-JS cpu backend`, async () => {
      const d = await oneStep(() => buildModel(architecture, { seed: 3 }));
      const list = (m: Map<string, number>) => [...m.keys()].sort().join(", ");
      console.log(`${architecture}: native [${list(d.native)}]; shape ops [${list(d.trivial)}]; loss/metric-sized cpu [${list(d.lossSized)}]`);
      expect(Object.fromEntries(d.fallbacks), `${architecture} falls back on`).toEqual({});
      // The step really ran convolutions / matrix products natively.
      expect(d.native.size).toBeGreaterThan(5);
    });
  }

  it("the check can fail: a model using a kernel the addon lacks (2-D average pooling) is caught", async () => {
    const d = await oneStep(() =>
      tf.sequential({
        layers: [tf.layers.averagePooling2d({ inputShape: [28, 28, 1], poolSize: 2 }), tf.layers.flatten(), tf.layers.dense({ units: 10, activation: "softmax" })],
      }),
    );
    expect([...d.fallbacks.keys()].sort()).toEqual(["AvgPool", "AvgPoolGrad"].filter((k) => d.fallbacks.has(k)));
    expect(d.fallbacks.get("AvgPool")).toBe(BATCH * 28 * 28);
  });
});
