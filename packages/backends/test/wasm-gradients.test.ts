import { buildModel } from "@fmnist/model";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerWasmGradientKernels, WASM_GRADIENT_KERNELS, wasmGradientKernelsRegistered } from "../src/wasm/wasm-gradients";

/** Max |a - b| over max |b|: the error relative to the reference's scale (elementwise relative
 * errors are meaningless for entries that are ~0). */
function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / Math.max(scale, 1e-30);
}

/** Deterministic pseudo-random values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

const size = (shape: readonly number[]) => shape.reduce((p, q) => p * q, 1);

/** Runs `f` with `backend` active and returns the data of the tensors it returns. */
async function on(backend: "cpu" | "wasm", f: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outs = tf.tidy(f);
  const data = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(outs);
  return data;
}

const worst: Record<string, number> = {};
function record(kind: string, err: number) {
  worst[kind] = Math.max(worst[kind] ?? 0, err);
}

beforeAll(async () => {
  registerWasmGradientKernels();
  registerWasmGradientKernels(); // idempotent
  expect(await tf.setBackend("wasm")).toBe(true);
  await tf.ready();
});

afterAll(() => {
  // Shown in the test output: the worst errors seen against the cpu backend.
  console.info("wasm vs cpu, max relative error:", worst);
});

describe("registerWasmGradientKernels", () => {
  it("registers its kernels for wasm once, however often it is called", () => {
    expect(wasmGradientKernelsRegistered()).toBe(true);
    const before = WASM_GRADIENT_KERNELS.map((k) => tf.getKernel(k, "wasm")?.kernelFunc);
    registerWasmGradientKernels();
    const after = WASM_GRADIENT_KERNELS.map((k) => tf.getKernel(k, "wasm")?.kernelFunc);
    expect(after).toEqual(before);
    expect(tf.getKernel("Conv2DBackpropFilter", "wasm")).toBeDefined();
  });
});

describe("conv2d gradients on wasm match the cpu backend", () => {
  // [input shape NHWC, filter shape HWIO]; every case runs with stride 1 and 2, 'valid' and 'same'.
  // The shapes cover both strategies of each kernel: short patches (im2col) vs one Conv2D for the
  // filter gradient, Cin < 8 (one Conv2D) vs per-tap GEMMs for the input gradient.
  const cases: [number[], number[]][] = [
    [[1, 6, 6, 1], [3, 3, 1, 1]],
    [[2, 7, 7, 3], [3, 3, 3, 4]],
    [[3, 9, 10, 2], [5, 5, 2, 3]],
    [[2, 9, 9, 8], [3, 3, 8, 16]],
    [[2, 11, 10, 9], [5, 5, 9, 4]],
    [[2, 6, 7, 8], [1, 1, 8, 3]],
    [[2, 13, 13, 32], [3, 3, 32, 64]], // the reference CNN's second conv, batch 2
  ];
  for (const [xShape, wShape] of cases) {
    for (const stride of [1, 2]) {
      for (const pad of ["valid", "same"] as const) {
        it(`x ${xShape} w ${wShape} stride ${stride} ${pad}`, async () => {
          const xv = values(size(xShape), 1 + size(xShape));
          const wv = values(size(wShape), 7 + size(wShape));
          const grads = () => {
            const x = tf.tensor4d(xv, xShape as [number, number, number, number]);
            const w = tf.tensor4d(wv, wShape as [number, number, number, number]);
            const conv = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad);
            const y = conv(x, w);
            const dy = tf.tensor(values(y.size, 3), y.shape);
            return tf.grads(conv)([x, w], dy);
          };
          const [cdx, cdw] = await on("cpu", grads);
          const [wdx, wdw] = await on("wasm", grads);
          const ex = relError(wdx, cdx);
          const ew = relError(wdw, cdw);
          record("conv2d dx", ex);
          record("conv2d dW", ew);
          expect(ex).toBeLessThanOrEqual(1e-4);
          expect(ew).toBeLessThanOrEqual(1e-4);
        });
      }
    }
  }
});

describe("conv2d gradient kernels called directly, NCHW data format", () => {
  for (const [stride, pad, cin] of [
    [1, "same", 3],
    [2, "valid", 9],
  ] as const) {
    it(`stride ${stride} ${pad} Cin ${cin}`, async () => {
      const xShape: [number, number, number, number] = [2, cin, 9, 8];
      const wShape: [number, number, number, number] = [3, 3, cin, 5];
      const info = tf.backend_util.computeConv2DInfo(xShape, wShape, stride, 1, pad, undefined, false, "channelsFirst");
      const run = () => {
        const x = tf.tensor4d(values(size(xShape), 41), xShape);
        const w = tf.tensor4d(values(size(wShape), 42), wShape);
        const dy = tf.tensor(values(size(info.outShape), 43), info.outShape);
        const attrs = { strides: stride, pad, dataFormat: "NCHW" };
        return [
          tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, { ...attrs, filterShape: wShape }) as tf.Tensor,
          tf.engine().runKernel("Conv2DBackpropInput", { dy, filter: w }, { ...attrs, inputShape: xShape }) as tf.Tensor,
        ];
      };
      const [cdw, cdx] = await on("cpu", run);
      const [wdw, wdx] = await on("wasm", run);
      expect(relError(wdw, cdw)).toBeLessThanOrEqual(1e-4);
      expect(relError(wdx, cdx)).toBeLessThanOrEqual(1e-4);
    });
  }
});

describe("other training kernels on wasm match the cpu backend", () => {
  const pools: [number[], number, number, "valid" | "same"][] = [
    [[2, 26, 26, 3], 2, 2, "valid"],
    [[2, 11, 11, 4], 2, 2, "valid"], // odd size: the last row/column is in no window
    [[2, 11, 11, 4], 2, 2, "same"],
    [[2, 9, 9, 3], 3, 2, "valid"], // overlapping windows
    [[1, 7, 9, 2], 3, 1, "same"],
  ];
  for (const [shape, k, stride, pad] of pools) {
    for (const ties of [false, true]) {
      it(`maxPool gradient ${shape} pool ${k} stride ${stride} ${pad}${ties ? " with ties" : ""}`, async () => {
        // Ties (equal values in a window, as ReLU zeros and flat image regions give): the gradient
        // goes to the first maximum, as in TensorFlow.
        const xv = ties
          ? Float32Array.from(values(size(shape), 5), (v) => Math.max(0, Math.round(v * 3)))
          : values(size(shape), 5);
        const grad = () => {
          const x = tf.tensor4d(xv, shape as [number, number, number, number]);
          const f = (a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, k, stride, pad);
          const y = f(x);
          return [tf.grad(f)(x, tf.tensor(values(y.size, 9), y.shape))];
        };
        const err = relError((await on("wasm", grad))[0], (await on("cpu", grad))[0]);
        record("maxPool dx", err);
        expect(err).toBeLessThanOrEqual(1e-4);
      });
    }
  }

  const matmuls: [number[], number[], boolean, boolean][] = [
    [[64, 128], [1152, 128], false, true], // dense input gradient
    [[64, 1152], [64, 128], true, false], // dense weight gradient
    [[5, 7], [9, 5], true, true],
    [[2, 3, 4], [2, 5, 4], false, true],
    [[2, 4, 3], [1, 4, 5], true, false],
  ];
  for (const [aShape, bShape, ta, tb] of matmuls) {
    it(`matMul ${aShape} x ${bShape} transposeA=${ta} transposeB=${tb}`, async () => {
      const f = () => [tf.matMul(tf.tensor(values(size(aShape), 11), aShape), tf.tensor(values(size(bShape), 12), bShape), ta, tb)];
      const err = relError((await on("wasm", f))[0], (await on("cpu", f))[0]);
      record("matMul", err);
      expect(err).toBeLessThanOrEqual(1e-4);
    });
  }

  it("fused matMul (bias + relu) with transposed operands", async () => {
    for (const [ta, tb] of [
      [false, true],
      [true, false],
      [true, true],
    ]) {
      const f = () => {
        const a = tf.tensor(values(6 * 5, 51), ta ? [5, 6] : [6, 5]);
        const b = tf.tensor(values(5 * 7, 52), tb ? [7, 5] : [5, 7]);
        return [tf.fused.matMul({ a, b, transposeA: ta, transposeB: tb, bias: tf.tensor1d(values(7, 53)), activation: "relu" })];
      };
      const err = relError((await on("wasm", f))[0], (await on("cpu", f))[0]);
      record("matMul", err);
      expect(err).toBeLessThanOrEqual(1e-4);
    }
  });

  it("sum over leading axes (bias gradients) and other axes", async () => {
    const cases: [number[], number | number[], boolean][] = [
      [[64, 26, 26, 32], [0, 1, 2], false],
      [[64, 128], 0, false],
      [[4, 5, 6, 7], [0, 1], true],
      [[64, 10], 1, false],
    ];
    for (const [shape, axis, keepDims] of cases) {
      const f = () => [tf.sum(tf.tensor(values(size(shape), 13), shape), axis, keepDims)];
      const [w] = await on("wasm", f);
      const [c] = await on("cpu", f);
      const err = relError(w, c);
      record("sum", err);
      expect(err).toBeLessThanOrEqual(1e-4);
    }
  });
});

describe("training the reference CNN on wasm", () => {
  it("gives the same gradients for all its weights as the cpu backend (batch 4)", async () => {
    const n = 4;
    const xv = values(n * 28 * 28, 31).map((v) => (v + 1) / 2);
    const labels = [3, 1, 4, 1];
    let init: Float32Array[] | undefined;
    const gradsOn = async (backend: "cpu" | "wasm") => {
      await tf.setBackend(backend);
      const model = buildModel("reference-cnn", { seed: 5, dropout: 0 });
      if (init) model.setWeights(model.getWeights().map((w, i) => tf.tensor(init![i], w.shape)));
      else init = model.getWeights().map((w) => w.dataSync() as Float32Array);
      const xs = tf.tensor4d(xv, [n, 28, 28, 1]);
      const ys = tf.oneHot(tf.tensor1d(labels, "int32"), 10).toFloat();
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(
        () => tf.mean(tf.metrics.categoricalCrossentropy(ys, model.apply(xs, { training: true }) as tf.Tensor)) as tf.Scalar,
        vars,
      );
      const out = {
        loss: (await value.data())[0],
        grads: await Promise.all(vars.map((v) => grads[v.name].data() as Promise<Float32Array>)),
      };
      tf.dispose([value, xs, ys, ...Object.values(grads)]);
      model.dispose();
      return out;
    };
    const cpu = await gradsOn("cpu");
    const wasm = await gradsOn("wasm");
    expect(Math.abs(wasm.loss - cpu.loss) / cpu.loss).toBeLessThanOrEqual(1e-5);
    expect(wasm.grads.length).toBe(10);
    for (let i = 0; i < cpu.grads.length; i++) {
      const err = relError(wasm.grads[i], cpu.grads[i]);
      record("reference CNN weight gradients", err);
      expect(err).toBeLessThanOrEqual(1e-4);
    }
  });

  it("lowers the loss over a few steps and leaks no tensors", async () => {
    await tf.setBackend("wasm");
    const model = buildModel("reference-cnn", { seed: 3 });
    model.compile({ optimizer: tf.train.adam(0.001), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
    const n = 64;
    const xs = tf.tensor4d(values(n * 28 * 28, 21).map((v) => (v + 1) / 2), [n, 28, 28, 1]);
    const labels = Int32Array.from(values(n, 22), (v) => Math.floor(((v + 1) / 2) * 10) % 10);
    const ys = tf.oneHot(tf.tensor1d(labels, "int32"), 10).toFloat();
    const lossOf = () => tf.tidy(() => (model.evaluate(xs, ys, { batchSize: n }) as tf.Scalar[])[0].dataSync()[0]);

    const before = lossOf();
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const counts: { tensors: number; dataIds: number }[] = [];
    for (let step = 0; step < 12; step++) {
      await model.trainOnBatch(xs, ys);
      counts.push({ tensors: tf.memory().numTensors, dataIds: backend.numDataIds() });
    }
    const after = lossOf();
    expect(Number.isFinite(after)).toBe(true);
    // Random labels on random images: memorising them is slow, but the loss must clearly fall.
    expect(after).toBeLessThan(before * 0.97);
    console.info(`reference CNN on wasm: loss ${before.toFixed(4)} -> ${after.toFixed(4)} after 12 steps`);
    // The optimizer creates its slots in the first step; after that nothing may accumulate.
    expect(new Set(counts.slice(1).map((c) => c.tensors)).size).toBe(1);
    expect(new Set(counts.slice(1).map((c) => c.dataIds)).size).toBe(1);

    tf.dispose([xs, ys]);
    model.dispose();
  });
});
