/**
 * The native backend against tfjs's cpu backend: every overridden kernel, forward and gradient,
 * on the same inputs (max relative error <= 1e-4), the fused Adam step (bit-identical), the
 * buffer pool's safety rules, and a short training run (loss goes down, tensor count flat).
 * Skipped with a note when the addon is not built.
 */
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kernelStats, registerNativeBackend, resetKernelStats } from "../src/native/index";

const reg = await registerNativeBackend({ threads: 2 });
if (!reg.ok) console.warn(`native backend tests skipped: ${reg.reason}`);

/** Deterministic pseudo-random floats in [-1, 1). */
function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

type Out = { values: Float32Array; shape: number[] }[];

/** Runs fn on a backend; returns copies of the values of the tensors it returns. */
async function on(backend: string, fn: () => tf.Tensor | tf.Tensor[]): Promise<Out> {
  await tf.setBackend(backend);
  const res = tf.tidy(fn);
  const list = Array.isArray(res) ? res : [res];
  const out = list.map((t) => ({ values: Float32Array.from(t.dataSync()), shape: t.shape }));
  tf.dispose(list);
  return out;
}

function relErr(a: Float32Array, b: Float32Array): number {
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) return Number.POSITIVE_INFINITY;
    if (Number.isNaN(b[i])) continue;
    maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    maxRef = Math.max(maxRef, Math.abs(b[i]));
  }
  return maxDiff / Math.max(maxRef, 1e-12);
}

/** Same computation on native and cpu; every output within 1e-4 relative error. */
async function same(fn: () => tf.Tensor | tf.Tensor[], tol = 1e-4, expectNative?: string[]) {
  resetKernelStats();
  const n = await on("native", fn);
  const used = new Map(kernelStats.native);
  const fell = new Map(kernelStats.fallback);
  const c = await on("cpu", fn);
  expect(n.length).toBe(c.length);
  for (let i = 0; i < n.length; i++) {
    expect(n[i].shape).toEqual(c[i].shape);
    const e = relErr(n[i].values, c[i].values);
    expect(e, `output ${i}: relative error ${e}`).toBeLessThanOrEqual(tol);
  }
  for (const k of expectNative ?? []) {
    expect(used.get(k) ?? 0, `${k} should run natively (fallbacks: ${[...fell.keys()].join(", ")})`).toBeGreaterThan(0);
    expect(fell.get(k) ?? 0, `${k} fell back to cpu`).toBe(0);
  }
}

describe.skipIf(!reg.ok)("native backend vs cpu backend", () => {
  beforeAll(async () => {
    await tf.setBackend("native");
  });
  afterAll(async () => {
    await tf.setBackend("cpu");
  });

  const convCases: {
    name: string;
    x: [number, number, number, number];
    f: [number, number, number, number];
    stride: [number, number] | number;
    pad: "same" | "valid";
    dil?: number;
  }[] = [
    { name: "1 channel, valid, stride 1 (first layer)", x: [4, 28, 28, 1], f: [3, 3, 1, 32], stride: 1, pad: "valid" },
    { name: "32->64, valid, stride 1", x: [3, 13, 13, 32], f: [3, 3, 32, 64], stride: 1, pad: "valid" },
    { name: "8->16, same, stride 1", x: [2, 9, 11, 8], f: [3, 3, 8, 16], stride: 1, pad: "same" },
    { name: "3->5, same, stride 2 (odd sizes, asymmetric padding)", x: [2, 9, 10, 3], f: [3, 3, 3, 5], stride: 2, pad: "same" },
    { name: "4->6, valid, stride 2", x: [2, 11, 12, 4], f: [3, 3, 4, 6], stride: 2, pad: "valid" },
    { name: "6->4, same, strides [1,2], 5x3 filter", x: [2, 8, 9, 6], f: [5, 3, 6, 4], stride: [1, 2], pad: "same" },
    { name: "2->3, valid, 1x1 filter stride 2", x: [2, 7, 7, 2], f: [1, 1, 2, 3], stride: 2, pad: "valid" },
    { name: "4->4, same, dilation 2", x: [2, 10, 10, 4], f: [3, 3, 4, 4], stride: 1, pad: "same", dil: 2 },
  ];

  for (const c of convCases) {
    it(`conv2d forward + input and filter gradients: ${c.name}`, async () => {
      const xv = rand(c.x.reduce((a, b) => a * b), 1);
      const fv = rand(c.f.reduce((a, b) => a * b), 2);
      await same(
        () => {
          const x = tf.tensor4d(xv, c.x);
          const f = tf.tensor4d(fv, c.f);
          const y = tf.conv2d(x, f, c.stride, c.pad, "NHWC", c.dil ?? 1);
          // tfjs has no gradients for dilated convolutions.
          if (c.dil && c.dil > 1) return [y];
          // A loss with a non-uniform upstream gradient.
          const r = tf.tensor(rand(y.size, 3), y.shape);
          const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad, "NHWC", c.dil ?? 1), r)));
          const [dx, df] = g([x, f]);
          return [y, dx, df];
        },
        1e-4,
        c.dil && c.dil > 1 ? ["Conv2D"] : ["Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"],
      );
    });
  }

  const fusedCases: { name: string; x: [number, number, number, number]; f: [number, number, number, number]; stride: number; pad: "same" | "valid"; act: "relu" | "linear"; bias: boolean }[] = [
    { name: "relu + bias, valid, stride 1", x: [4, 13, 13, 32], f: [3, 3, 32, 64], stride: 1, pad: "valid", act: "relu", bias: true },
    { name: "relu + bias, same, stride 2, odd sizes", x: [3, 9, 10, 5], f: [3, 3, 5, 7], stride: 2, pad: "same", act: "relu", bias: true },
    { name: "linear, no bias, same, stride 1", x: [2, 8, 8, 4], f: [3, 3, 4, 6], stride: 1, pad: "same", act: "linear", bias: false },
    { name: "relu, no bias, valid, stride 2", x: [2, 11, 12, 3], f: [3, 3, 3, 8], stride: 2, pad: "valid", act: "relu", bias: false },
  ];
  for (const c of fusedCases) {
    it(`training conv2d+bias+activation (fused kernel and gradients): ${c.name}`, async () => {
      const xv = rand(c.x.reduce((a, b) => a * b), 70);
      const fv = rand(c.f.reduce((a, b) => a * b), 71);
      const bv = rand(c.f[3], 72);
      await same(
        () => {
          const x = tf.tensor4d(xv, c.x);
          const f = tf.tensor4d(fv, c.f);
          const b = tf.tensor1d(bv);
          const conv = (xx: tf.Tensor, ff: tf.Tensor, bb?: tf.Tensor) =>
            tf.fused.conv2d({ x: xx as tf.Tensor4D, filter: ff as tf.Tensor4D, strides: c.stride, pad: c.pad, bias: bb, activation: c.act });
          let r: tf.Tensor | undefined;
          const loss = (xx: tf.Tensor, ff: tf.Tensor, bb?: tf.Tensor) => {
            const y = conv(xx, ff, bb);
            r ??= tf.keep(tf.tensor(rand(y.size, 73), y.shape));
            return tf.sum(tf.mul(y, r));
          };
          const grads = c.bias ? tf.grads((xx: tf.Tensor, ff: tf.Tensor, bb: tf.Tensor) => loss(xx, ff, bb))([x, f, b]) : tf.grads((xx: tf.Tensor, ff: tf.Tensor) => loss(xx, ff))([x, f]);
          r?.dispose();
          return grads;
        },
        1e-4,
        ["FmnistConvBiasAct", "FmnistConvBiasActBackpropFilter", "FmnistConvBiasActBackpropInput"],
      );
    });
  }

  it("fused conv2d with bias and relu (inference path)", async () => {
    const xv = rand(2 * 12 * 12 * 8, 4);
    const fv = rand(3 * 3 * 8 * 16, 5);
    const bv = rand(16, 6);
    await same(
      () =>
        tf.fused.conv2d({
          x: tf.tensor4d(xv, [2, 12, 12, 8]),
          filter: tf.tensor4d(fv, [3, 3, 8, 16]),
          strides: 1,
          pad: "same",
          bias: tf.tensor1d(bv),
          activation: "relu",
        }),
      1e-4,
      ["FusedConv2D"],
    );
  });

  const poolCases: { name: string; x: [number, number, number, number]; size: number; stride: number; pad: "same" | "valid" }[] = [
    { name: "2x2 stride 2 valid (the model)", x: [4, 26, 26, 32], size: 2, stride: 2, pad: "valid" },
    { name: "2x2 stride 2 valid, odd input", x: [3, 11, 11, 64], size: 2, stride: 2, pad: "valid" },
    { name: "3x3 stride 2 same (overlapping windows)", x: [2, 9, 10, 5], size: 3, stride: 2, pad: "same" },
    { name: "3x3 stride 1 same", x: [2, 7, 7, 3], size: 3, stride: 1, pad: "same" },
    { name: "2x2 stride 1 valid", x: [2, 6, 5, 4], size: 2, stride: 1, pad: "valid" },
    { name: "2x2 stride 2 same, odd input (padded windows)", x: [2, 7, 9, 6], size: 2, stride: 2, pad: "same" },
    { name: "2x2 stride 3 valid (gaps between windows)", x: [2, 8, 8, 5], size: 2, stride: 3, pad: "valid" },
  ];
  for (const c of poolCases) {
    it(`maxPool forward + gradient: ${c.name}`, async () => {
      const xv = rand(c.x.reduce((a, b) => a * b), 7);
      await same(
        () => {
          const x = tf.tensor4d(xv, c.x);
          const y = tf.maxPool(x, c.size, c.stride, c.pad);
          const r = tf.tensor(rand(y.size, 8), y.shape);
          const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, c.size, c.stride, c.pad), r)))(x);
          return [y, dx];
        },
        // Overlapping windows add several dy into one dx, in another order than the cpu backend.
        c.stride >= c.size ? 0 : 1e-6,
        ["MaxPool", "MaxPoolGrad"],
      );
    });
  }

  it("maxPool gradient goes to the first maximum on ties (as the cpu backend)", async () => {
    const xv = new Float32Array(2 * 4 * 4 * 2).fill(1);
    await same(
      () => {
        const x = tf.tensor4d(xv, [2, 4, 4, 2]);
        return tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool(a as tf.Tensor4D, 2, 2, "valid")))(x);
      },
      0,
      ["MaxPoolGrad"],
    );
  });

  it("relu gradient (fused dy * step(x)), including NaN, zeros and -0", async () => {
    const xv = rand(8 * 20 * 20 * 16, 60);
    xv[5] = Number.NaN;
    xv[6] = 0;
    xv[7] = -0;
    const rv = rand(xv.length, 61);
    await same(
      () => {
        const x = tf.tensor4d(xv, [8, 20, 20, 16]);
        const r = tf.tensor4d(rv, [8, 20, 20, 16]);
        return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.relu(a), r)))(x);
      },
      0,
      ["FmnistReluGrad"],
    );
  });

  it("matMul with transposes and batch broadcasting, and gradients", async () => {
    const av = rand(3 * 5 * 7, 9);
    const bv = rand(3 * 7 * 4, 10);
    const b1 = rand(7 * 4, 11);
    await same(
      () => {
        const a = tf.tensor3d(av, [3, 5, 7]);
        const b = tf.tensor3d(bv, [3, 7, 4]);
        const outs: tf.Tensor[] = [tf.matMul(a, b)];
        outs.push(tf.matMul(a.transpose([0, 2, 1]), b, true, false));
        outs.push(tf.matMul(a, b.transpose([0, 2, 1]), false, true));
        outs.push(tf.matMul(a.transpose([0, 2, 1]), b.transpose([0, 2, 1]), true, true));
        outs.push(tf.matMul(a, tf.tensor2d(b1, [7, 4]))); // batch broadcast
        const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x as tf.Tensor3D, y as tf.Tensor3D))))([a, b]);
        return [...outs, ga, gb];
      },
      1e-4,
      ["BatchMatMul"],
    );
  });

  it("fused matMul (dense layer) with bias and relu, and its gradients", async () => {
    const av = rand(64 * 96, 12);
    const bv = rand(96 * 32, 13);
    const biasv = rand(32, 14);
    await same(
      () => {
        const a = tf.tensor2d(av, [64, 96]);
        const b = tf.tensor2d(bv, [96, 32]);
        const bias = tf.tensor1d(biasv);
        const f = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
          tf.fused.matMul({ a: x as tf.Tensor2D, b: y as tf.Tensor2D, bias: z, activation: "relu" });
        const y = f(a, b, bias);
        const r = tf.tensor(rand(y.size, 15), y.shape);
        const grads = tf.grads((x: tf.Tensor, w: tf.Tensor, z: tf.Tensor) => tf.sum(tf.mul(f(x, w, z), r)))([a, b, bias]);
        return [y, ...grads];
      },
      1e-4,
      ["_FusedMatMul", "BatchMatMul", "Sum", "FmnistReluGrad"],
    );
  });

  it("elementwise ops with every broadcast mode, unary ops", async () => {
    const n = 6 * 5 * 40 * 32; // above the parallel threshold
    const av = rand(n, 16);
    const bv = rand(n, 17).map((v) => v + 2); // no division by ~0
    const rowv = rand(32, 18).map((v) => v + 2);
    await same(
      () => {
        const a = tf.tensor4d(av, [6, 5, 40, 32]);
        const b = tf.tensor4d(bv, [6, 5, 40, 32]);
        const row = tf.tensor1d(rowv);
        const col = tf.tensor4d(bv.slice(0, 6 * 5 * 40), [6, 5, 40, 1]);
        const s = tf.scalar(1.5);
        const outs: tf.Tensor[] = [];
        for (const op of [tf.add, tf.sub, tf.mul, tf.div, tf.maximum, tf.minimum, tf.squaredDifference]) {
          outs.push(op(a, b), op(a, row), op(row, a), op(a, s), op(s, a), op(a, col), op(col, a));
        }
        outs.push(tf.relu(a), tf.step(a), tf.step(a, 0.25), tf.sqrt(b), tf.square(a), tf.neg(a), tf.abs(a), tf.rsqrt(b), tf.relu6(a.mul(8)), tf.floor(a.mul(3)));
        return outs;
      },
      // squaredDifference rounds x - y to float32 before squaring; the cpu backend does not.
      1e-6,
      ["Add", "Sub", "Multiply", "RealDiv", "Maximum", "Minimum", "SquaredDifference", "Relu", "Step", "Sqrt", "Square", "Neg", "Abs", "Rsqrt", "Relu6", "Floor"],
    );
  });

  it("softmax over the last axis (with -inf and NaN rows), and its gradient", async () => {
    const xv = rand(64 * 10, 90).map((v) => v * 20);
    xv[10] = Number.NEGATIVE_INFINITY;
    xv[25] = Number.NaN;
    const gv = rand(64 * 10, 91);
    await same(
      () => {
        const x = tf.tensor2d(xv, [64, 10]);
        const clean = tf.tensor2d(xv.map((v) => (Number.isFinite(v) ? v : 0)), [64, 10]);
        const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.softmax(t), tf.tensor2d(gv, [64, 10]))))(clean);
        return [tf.softmax(x), g];
      },
      1e-6,
      ["Softmax"],
    );
  });

  it("broadcasts the addon does not cover give the cpu kernel's result", async () => {
    const av = rand(4 * 1 * 6, 19);
    const bv = rand(5 * 1, 20);
    await same(() => tf.add(tf.tensor3d(av, [4, 1, 6]), tf.tensor2d(bv, [5, 1])), 0);
  });

  it("sum over leading axes (bias gradients), trailing axes, keepDims, int32 falls back", async () => {
    const xv = rand(16 * 26 * 26 * 32, 21);
    await same(
      () => {
        const x = tf.tensor4d(xv, [16, 26, 26, 32]);
        return [tf.sum(x, [0, 1, 2]), tf.sum(x, [2, 3]), tf.sum(x, -1, true), tf.sum(x)];
      },
      1e-5,
      ["Sum"],
    );
    // Not a prefix or suffix of the axes, or not float32: the cpu kernel, same result.
    await same(() => [tf.sum(tf.tensor4d(xv, [16, 26, 26, 32]), [1, 3]), tf.sum(tf.tensor1d([1, 2, 3], "int32"))], 1e-5);
  });

  it("mean over leading axes (batch-norm moments) and trailing axes, tile along leading axes, with gradients", async () => {
    const x = () => tf.tensor4d(rand(2 * 5 * 5 * 3, 21), [2, 5, 5, 3]);
    await same(() => [tf.mean(x(), [0, 1, 2]), tf.mean(x(), [0, 1, 2], true), tf.mean(x(), [2, 3]), tf.moments(x(), [0, 1, 2]).variance], 1e-4, ["Mean"]);
    const c = () => tf.tensor4d(rand(3, 22), [1, 1, 1, 3]);
    await same(() => [tf.tile(c(), [2, 5, 5, 1]), tf.tile(tf.tensor2d(rand(6, 23), [1, 6]), [4, 1])], 1e-6, ["Tile"]);
    // Middle axes (global average pooling): a strided pass.
    await same(() => [tf.mean(x(), [1, 2]), tf.sum(x(), [1, 2], true)], 1e-5, ["Mean", "Sum"]);
    // Batch normalisation, inference (moving statistics) and training (batch moments), and a
    // [N,1,1,C] x [N,H,W,C] broadcast (the pooling gradient).
    const ch = (seed: number) => tf.tensor1d(rand(3, seed).map((v) => v + 1.5));
    await same(() => [tf.batchNorm(x(), ch(31), ch(32), ch(33), ch(34), 1e-3), tf.batchNorm(x(), ch(31), ch(32), undefined, undefined, 1e-3)], 1e-5, ["FusedBatchNorm"]);
    await same(() => [tf.mul(tf.tensor4d(rand(6, 35), [2, 1, 1, 3]), x()), tf.sub(x(), tf.tensor4d(rand(6, 36), [2, 1, 1, 3]))], 1e-6, ["Multiply", "Sub"]);
    // Not a leading-axis repeat: the cpu kernel, same result.
    await same(() => tf.tile(tf.tensor2d(rand(6, 24), [2, 3]), [1, 2]));
    // The batch-norm training step's gradients go through Mean and Tile.
    await same(() => {
      const gamma = tf.tensor1d([0.5, 1, 2]);
      const g = tf.grad((a: tf.Tensor) => {
        const m = tf.moments(a, [0, 1, 2]);
        return tf.batchNorm(a, m.mean, m.variance, tf.tensor1d([0, 0.1, -0.2]), gamma, 1e-3).square().sum();
      });
      return g(x());
    }, 1e-3);
  });

  it("Adam: the fused step gives bit-identical weights to the cpu backend after 5 steps", async () => {
    const wv = rand(300 * 40, 22);
    const gvs = [0, 1, 2, 3, 4].map((i) => rand(300 * 40, 30 + i));
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const w = tf.variable(tf.tensor2d(wv, [300, 40]), true, `adam_w_${backend}`);
      const opt = tf.train.adam(0.001);
      for (const gv of gvs) {
        const g = tf.tensor2d(gv, [300, 40]);
        opt.applyGradients([{ name: w.name, tensor: g }]);
        g.dispose();
      }
      const out = Float32Array.from(w.dataSync());
      const weights = await opt.getWeights();
      const moments = weights.map((x) => Float32Array.from(x.tensor.dataSync()));
      opt.dispose();
      w.dispose();
      return { out, moments };
    };
    resetKernelStats();
    const n = await run("native");
    expect(kernelStats.native.get("FmnistAdam") ?? 0).toBe(5);
    const c = await run("cpu");
    expect(n.out).toEqual(c.out);
    expect(n.moments.length).toBe(c.moments.length);
    for (let i = 0; i < n.moments.length; i++) expect(n.moments[i]).toEqual(c.moments[i]);
  });

  it("buffer pool: an array read with dataSync survives disposal and later kernels", async () => {
    await tf.setBackend("native");
    const x = tf.tensor1d(rand(5000, 40));
    const y = tf.relu(x);
    const seen = y.dataSync();
    const copy = Float32Array.from(seen);
    y.dispose();
    // Same-length outputs that would reuse a pooled array.
    for (let i = 0; i < 5; i++) tf.dispose(tf.neg(x));
    expect(seen).toEqual(copy);
    x.dispose();
  });

  it("buffer pool: a cpu-kernel view of a native output (contiguous slice) is never recycled under it", async () => {
    await tf.setBackend("native");
    const x = tf.tensor2d(rand(64 * 100, 41), [64, 100]);
    const y = tf.relu(x); // native, pooled array
    const s = tf.slice(y, [10, 0], [20, 100]); // cpu Slice: a subarray view of y's array
    const expected = Float32Array.from(tf.relu(tf.slice(x, [10, 0], [20, 100])).dataSync());
    y.dispose();
    for (let i = 0; i < 5; i++) tf.dispose(tf.neg(x)); // would reuse y's array if it were recycled
    expect(Float32Array.from(s.dataSync())).toEqual(expected);
    tf.dispose([x, s]);
  });
});

describe.skipIf(!reg.ok)("training on the native backend", () => {
  it("one SGD step of the reference CNN gives the cpu backend's weights (batch 2, no dropout)", async () => {
    const { buildModel } = await import("@fmnist/model");
    const xv = rand(2 * 28 * 28, 80).map((v) => Math.abs(v));
    const yv = new Float32Array(20);
    yv[3] = 1;
    yv[17] = 1;
    const step = async (backend: string) => {
      await tf.setBackend(backend);
      resetKernelStats();
      const model = buildModel("reference-cnn", { seed: 5, dropout: 0 });
      model.compile({ optimizer: tf.train.sgd(0.5), loss: "categoricalCrossentropy" });
      const xs = tf.tensor4d(xv, [2, 28, 28, 1]);
      const ys = tf.tensor2d(yv, [2, 10]);
      await model.trainOnBatch(xs, ys);
      const weights = model.getWeights().map((w) => ({ values: Float32Array.from(w.dataSync()), shape: w.shape }));
      const stats = new Map(kernelStats.native);
      tf.dispose([xs, ys]);
      model.dispose();
      return { weights, stats };
    };
    const n = await step("native");
    const c = await step("cpu");
    // Three conv layers: three fused forward/filter kernels, input gradients only for layers 2 and 3.
    expect(n.stats.get("FmnistConvBiasAct")).toBe(3);
    expect(n.stats.get("FmnistConvBiasActBackpropFilter")).toBe(3);
    expect(n.stats.get("FmnistConvBiasActBackpropInput")).toBe(2);
    for (let i = 0; i < n.weights.length; i++) {
      const e = relErr(n.weights[i].values, c.weights[i].values);
      expect(e, `weight ${i} ${n.weights[i].shape}: relative error ${e}`).toBeLessThanOrEqual(1e-4);
    }
  });

  /** One SGD step of `build()` on native and on cpu (same inputs, same initial weights): the
   * weights after it and the BatchNormalization layers' moving statistics within `tol`. */
  async function sameStep(build: () => tf.LayersModel, inputShape: number[], tol: number) {
    const n = inputShape.reduce((p, q) => p * q, 1);
    const xv = rand(n, 90);
    const yv = new Float32Array(inputShape[0] * 10);
    for (let i = 0; i < inputShape[0]; i++) yv[i * 10 + ((i * 7) % 10)] = 1;
    const step = async (backend: string) => {
      await tf.setBackend(backend);
      resetKernelStats();
      const model = build();
      model.compile({ optimizer: tf.train.sgd(0.1), loss: "categoricalCrossentropy" });
      const xs = tf.tensor(xv, inputShape);
      const ys = tf.tensor2d(yv, [inputShape[0], 10]);
      const loss = (await model.trainOnBatch(xs, ys)) as number;
      const weights = model.weights.map((lw) => lw.read()).map((w, i) => ({ name: model.weights[i].name, values: Float32Array.from(w.dataSync()), shape: w.shape }));
      const stats = { native: new Map(kernelStats.native), fallback: new Map(kernelStats.fallback) };
      tf.dispose([xs, ys]);
      model.dispose();
      return { loss, weights, stats };
    };
    const nat = await step("native");
    const cpu = await step("cpu");
    expect(Math.abs(nat.loss - cpu.loss)).toBeLessThanOrEqual(tol * Math.abs(cpu.loss));
    expect(nat.weights.length).toBe(cpu.weights.length);
    for (let i = 0; i < nat.weights.length; i++) {
      const e = relErr(nat.weights[i].values, cpu.weights[i].values);
      expect(e, `weight ${i} ${nat.weights[i].name} ${nat.weights[i].shape}: relative error ${e}`).toBeLessThanOrEqual(tol);
    }
    return nat.stats;
  }

  it("batch normalisation in training (fused statistics + normalisation, one-kernel gradient): one step of reference-cnn-bn equals the cpu backend's, moving statistics included", async () => {
    const { buildModel } = await import("@fmnist/model");
    const stats = await sameStep(() => buildModel("reference-cnn-bn", { seed: 6, dropout: 0 }), [3, 28, 28, 1], 1e-3);
    expect(stats.native.get("FmnistBatchNormTrain")).toBe(3);
    expect(stats.native.get("FmnistBatchNormGrad")).toBe(3);
    expect(stats.native.get("FusedBatchNorm") ?? 0).toBe(0);
  });

  it("a residual block ('same' padding, stride 2, 1x1 projection, batch norm, residual add, global average pooling): one step equals the cpu backend's", async () => {
    const build = () => {
      const init = (seed: number) => ({ kernelInitializer: tf.initializers.glorotUniform({ seed }) });
      const input = tf.input({ shape: [12, 12, 3] });
      const bn = (x: tf.SymbolicTensor) => tf.layers.batchNormalization({}).apply(x) as tf.SymbolicTensor;
      const conv = (x: tf.SymbolicTensor, filters: number, strides: number, kernelSize: number, seed: number) =>
        tf.layers.conv2d({ filters, kernelSize, strides, padding: "same", useBias: false, ...init(seed) }).apply(x) as tf.SymbolicTensor;
      const relu = (x: tf.SymbolicTensor) => tf.layers.activation({ activation: "relu" }).apply(x) as tf.SymbolicTensor;
      const y = bn(conv(relu(bn(conv(input, 8, 2, 3, 1))), 8, 1, 3, 2));
      const shortcut = bn(conv(input, 8, 2, 1, 3));
      let x = relu(tf.layers.add().apply([y, shortcut]) as tf.SymbolicTensor);
      x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
      const output = tf.layers.dense({ units: 10, activation: "softmax", ...init(4) }).apply(x) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: output });
    };
    const stats = await sameStep(build, [4, 12, 12, 3], 1e-3);
    expect(stats.native.get("FmnistBatchNormGrad")).toBe(3);
    expect(stats.native.get("Mean") ?? 0).toBeGreaterThan(0);
    expect(stats.fallback.get("Mean") ?? 0).toBe(0);
  });

  it("the fused batch-norm gradient equals tfjs's composite one, including gradients that reach the batch statistics", async () => {
    const { BATCH_NORM_TRAIN } = await import("../src/native/kernels");
    const x = () => tf.tensor4d(rand(4 * 3 * 5 * 6, 91), [4, 3, 5, 6]);
    const gamma = () => tf.tensor1d(rand(6, 92).map((v) => v + 1.5));
    const beta = () => tf.tensor1d(rand(6, 93));
    const w = () => tf.tensor4d(rand(4 * 3 * 5 * 6, 94), [4, 3, 5, 6]);
    const cw = () => tf.tensor1d(rand(6, 95));
    // A loss that uses y and, weighted, the batch mean and variance too.
    const reference = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const m = tf.moments(a, [0, 1, 2]);
      const y = tf.batchNorm(a, m.mean, m.variance, b, g, 1e-3);
      return tf.add(tf.sum(tf.mul(y, w())), tf.sum(tf.mul(tf.add(m.mean, m.variance), cw())));
    });
    const fused = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAIN, { x: a, gamma: g, beta: b }, { epsilon: 1e-3 }) as tf.Tensor[];
      return tf.add(tf.sum(tf.mul(y, w())), tf.sum(tf.mul(tf.add(mean, variance), cw())));
    });
    const ref = await on("cpu", () => reference([x(), gamma(), beta()]));
    const got = await on("native", () => fused([x(), gamma(), beta()]));
    for (let i = 0; i < 3; i++) {
      const e = relErr(got[i].values, ref[i].values);
      expect(e, `gradient ${i}: relative error ${e}`).toBeLessThanOrEqual(1e-4);
    }
  });

  it("lowers the loss of a small CNN, with a flat tensor count", async () => {
    await tf.setBackend("native");
    const N = 128;
    // A learnable toy task: the class is which quadrant holds the bright blob.
    const xv = new Float32Array(N * 16 * 16);
    const yv = new Float32Array(N * 4);
    const r = rand(N * 3, 50);
    for (let i = 0; i < N; i++) {
      const q = i % 4;
      const cy = (q >> 1) * 8 + 2 + Math.floor(Math.abs(r[i * 3]) * 3);
      const cx = (q & 1) * 8 + 2 + Math.floor(Math.abs(r[i * 3 + 1]) * 3);
      for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) xv[i * 256 + (cy + dy) * 16 + cx + dx] = 1;
      yv[i * 4 + q] = 1;
    }
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [16, 16, 1], filters: 8, kernelSize: 3, activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.conv2d({ filters: 8, kernelSize: 3, activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
        tf.layers.flatten(),
        tf.layers.dropout({ rate: 0.2 }),
        tf.layers.dense({ units: 4, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.01), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
    const xs = tf.tensor4d(xv, [N, 16, 16, 1]);
    const ys = tf.tensor2d(yv, [N, 4]);
    const losses: number[] = [];
    const counts: number[] = [];
    for (let step = 0; step < 40; step++) {
      const [loss] = (await model.trainOnBatch(xs, ys)) as number[];
      losses.push(loss);
      counts.push(tf.memory().numTensors);
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.5);
    // After the first step (optimizer state created), the count stays the same.
    expect(new Set(counts.slice(2)).size).toBe(1);
    tf.dispose([xs, ys]);
    model.dispose();
  });
});
