import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { ARCHITECTURE_NAMES, buildModel } from "./architectures";
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
    const w = (m: tf.Sequential) => m.getWeights()[0].dataSync().slice(0, 20);
    expect(Array.from(w(a))).toEqual(Array.from(w(b)));
    expect(Array.from(w(a))).not.toEqual(Array.from(w(c)));
    for (const m of [a, b, c]) m.dispose();
  });
});

describe("registry", () => {
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
