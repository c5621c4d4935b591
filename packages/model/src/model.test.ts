import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { ARCHITECTURE_INFO, ARCHITECTURE_NAMES, buildModel, forwardFlops } from "./architectures";
import { CLASS_NAMES_EN, CLASS_NAMES_ZH, className } from "./classes";

describe("reference-cnn", () => {
  it("has exactly 241,546 parameters and the Keras output shapes", () => {
    const model = buildModel("reference-cnn", { seed: 1 });
    expect(model.countParams()).toBe(241_546);
    const shapes = model.layers.map((l) => (l.outputShape as number[]).slice(1));
    expect(shapes).toEqual([[26, 26, 32], [13, 13, 32], [11, 11, 64], [5, 5, 64], [3, 3, 128], [1152], [1152], [128], [10]]);
    model.dispose();
  });

  it("predicts a probability distribution on random input", () => {
    const model = buildModel("reference-cnn", { seed: 1 });
    const out = tf.tidy(() => model.predict(tf.randomUniform([3, 28, 28, 1], 0, 1, "float32", 7)) as tf.Tensor);
    expect(out.shape).toEqual([3, 10]);
    const sums = out.sum(1).arraySync() as number[];
    for (const s of sums) expect(s).toBeCloseTo(1, 5);
    out.dispose();
    model.dispose();
  });

  it("same seed gives the same initial weights", () => {
    const a = buildModel("reference-cnn", { seed: 42 });
    const b = buildModel("reference-cnn", { seed: 42 });
    const c = buildModel("reference-cnn", { seed: 43 });
    const w = (m: tf.LayersModel) => m.getWeights()[0].dataSync().slice(0, 20);
    expect(Array.from(w(a))).toEqual(Array.from(w(b)));
    expect(Array.from(w(a))).not.toEqual(Array.from(w(c)));
    for (const m of [a, b, c]) m.dispose();
  });
});

describe("seed-notebook-cnn", () => {
  it("has the 1,676,266 parameters and output shapes the notebook printed", () => {
    const model = buildModel("seed-notebook-cnn", { seed: 1 });
    expect(model.countParams()).toBe(1_676_266);
    const shapes = model.layers.map((l) => (l.outputShape as number[]).slice(1));
    expect(shapes).toEqual([
      [28, 28, 32], [28, 28, 32], [14, 14, 32], [14, 14, 32], [14, 14, 64], [14, 14, 64], [7, 7, 64], [7, 7, 64], [3136], [512], [512], [10],
    ]);
    model.dispose();
  });
});

describe("residual and batch-normalised networks", () => {
  it("resnet-small keeps 28x28 in the first stage, halves twice, pools globally", () => {
    const model = buildModel("resnet-small", { seed: 1 });
    const convs = model.layers.filter((l) => l.getClassName() === "Conv2D").map((l) => (l.outputShape as number[]).slice(1));
    expect(convs[0]).toEqual([28, 28, 16]);
    expect(convs.at(-1)).toEqual([7, 7, 64]);
    expect(model.layers.filter((l) => l.getClassName() === "Add")).toHaveLength(6);
    expect(model.layers.filter((l) => l.getClassName() === "BatchNormalization").length).toBeGreaterThanOrEqual(13);
    model.dispose();
  });
  it("seed-notebook-cnn-bn is the notebook's stack with 5 batch norms and no conv or hidden dense bias", () => {
    const model = buildModel("seed-notebook-cnn-bn", { seed: 1 });
    const plain = buildModel("seed-notebook-cnn", { seed: 1 });
    expect(model.layers.filter((l) => l.getClassName() === "BatchNormalization")).toHaveLength(5);
    // Same conv and dense kernels as the notebook's network; BN replaces the biases.
    const kernels = (m: typeof model) => m.weights.filter((w) => w.name.includes("kernel")).map((w) => w.shape);
    expect(kernels(model)).toEqual(kernels(plain));
    expect(model.weights.filter((w) => w.name.includes("bias")).map((w) => w.shape)).toEqual([[10]]);
    expect(model.layers.map((l) => l.outputShape).filter((s) => Array.isArray(s) && s.length === 4).map((s) => (s as number[]).slice(1))).toContainEqual([7, 7, 64]);
    model.dispose();
    plain.dispose();
  });
  it("reference-cnn-bn is reference-cnn's stack with 3 batch norms", () => {
    const model = buildModel("reference-cnn-bn", { seed: 1 });
    expect(model.layers.filter((l) => l.getClassName() === "BatchNormalization")).toHaveLength(3);
    expect((model.outputs[0].shape as number[]).slice(1)).toEqual([10]);
    model.dispose();
  });
});

describe("registry", () => {
  it("the parameter counts and FLOPs shown in the form are the built models'", () => {
    for (const name of ARCHITECTURE_NAMES) {
      const m = buildModel(name, { seed: 2 });
      expect([name, m.countParams(), forwardFlops(m)]).toEqual([name, ARCHITECTURE_INFO[name].params, ARCHITECTURE_INFO[name].flops]);
      m.dispose();
    }
    // Checked by hand: conv1 2*26*26*32*9 + conv2 2*11*11*64*288 + conv3 2*3*3*128*576 + dense 2*1152*128 + 2*128*10, plus
    // one operation per pooled element (13*13*32 + 5*5*64).
    expect(ARCHITECTURE_INFO["reference-cnn"].flops).toBe(2 * 26 * 26 * 32 * 9 + 2 * 11 * 11 * 64 * 288 + 2 * 3 * 3 * 128 * 576 + 2 * 1152 * 128 + 2 * 128 * 10 + 13 * 13 * 32 + 5 * 5 * 64);
  });

  it("builds every registered architecture with a 10-way softmax and rejects unknown names", () => {
    for (const name of ARCHITECTURE_NAMES) {
      const m = buildModel(name, { seed: 3 });
      expect(m.outputs[0].shape).toEqual([null, 10]);
      m.dispose();
    }
    expect(() => buildModel("resnet-9000")).toThrow(/unknown architecture "resnet-9000"/);
  });
});

describe("class names", () => {
  it("has ten classes in English and Chinese in label order", () => {
    expect(CLASS_NAMES_EN).toHaveLength(10);
    expect(CLASS_NAMES_ZH).toHaveLength(10);
    expect(className(0)).toBe("T-shirt/top");
    expect(className(9, "zh")).toBe("短靴");
    expect(className(6, "zh")).toBe("衬衫");
    expect(() => className(10)).toThrow(RangeError);
  });
});
