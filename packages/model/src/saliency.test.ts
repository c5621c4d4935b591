import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { planSaliency, saliency } from "./saliency";

/** A 9x9 blob of ones in the middle of a black 28x28 input (rows and columns 10..18). */
function blob(cx = 14, cy = 14): Float32Array {
  const input = new Float32Array(784);
  for (let y = cy - 4; y <= cy + 4; y++) for (let x = cx - 4; x <= cx + 4; x++) input[y * 28 + x] = 1;
  return input;
}

function massInside(map: Float32Array, cx: number, cy: number, r: number): number {
  let inside = 0;
  let all = 0;
  for (let y = 0; y < 28; y++)
    for (let x = 0; x < 28; x++) {
      all += map[y * 28 + x];
      if (Math.abs(x - cx) <= r && Math.abs(y - cy) <= r) inside += map[y * 28 + x];
    }
  return inside / all;
}

/** conv (one 3x3 filter of ones, ReLU) -> flatten -> dense softmax: class 0 counts brightness. */
function brightnessCnn(): tf.Sequential {
  const m = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 1, kernelSize: 3, activation: "relu", padding: "same" }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, activation: "softmax" }),
    ],
  });
  m.layers[0].setWeights([tf.ones([3, 3, 1, 1]), tf.zeros([1])]);
  const kernel = tf.concat([tf.ones([196, 1]), tf.zeros([196, 1]), tf.ones([196, 1]).neg()], 1);
  m.layers[3].setWeights([kernel, tf.zeros([3])]);
  return m;
}

describe("saliency", () => {
  it("Grad-CAM of a CNN: 784 values in [0,1], max 1, on the blob", () => {
    const model = brightnessCnn();
    const plan = planSaliency(model);
    expect(plan.method).toBe("grad-cam");
    expect(plan.size).toEqual([14, 14]);
    const before = tf.memory().numTensors;
    const { map } = saliency(plan, blob(), 0);
    expect(tf.memory().numTensors).toBe(before);
    expect(map).toHaveLength(784);
    expect(Math.max(...map)).toBeCloseTo(1, 5);
    expect(Math.min(...map)).toBeGreaterThanOrEqual(0);
    expect(massInside(map, 14, 14, 6)).toBeGreaterThan(0.9);
    // Off-centre blob: the map follows it.
    expect(massInside(saliency(plan, blob(7, 20), 0).map, 7, 20, 6)).toBeGreaterThan(0.9);
    // Class 2 is pushed down by brightness: no positive evidence, an empty map.
    const against = saliency(plan, blob(), 2);
    expect(Math.max(...against.map)).toBe(0);
    expect(against.method).toBe("layer-cam");
    // Class 0's Grad-CAM had a positive part: no fallback.
    expect(saliency(plan, blob(), 0).method).toBe("grad-cam");
    expect(() => saliency(plan, blob(), 3)).toThrow(/not one of the model's 3 classes/);
    expect(() => saliency(plan, new Float32Array(10), 0)).toThrow(/784/);
    model.dispose();
  });

  it("SmoothGrad gradient x input for a model without convolutions lies on the blob", () => {
    const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 2, activation: "softmax" })] });
    model.layers[1].setWeights([tf.concat([tf.ones([784, 1]), tf.zeros([784, 1])], 1), tf.zeros([2])]);
    const plan = planSaliency(model);
    expect(plan.method).toBe("smoothgrad");
    const before = tf.memory().numTensors;
    const { map } = saliency(plan, blob(), 0, { samples: 8 });
    expect(tf.memory().numTensors).toBe(before);
    expect(map).toHaveLength(784);
    expect(Math.max(...map)).toBeCloseTo(1, 5);
    // gradient x input is zero where the input is zero.
    expect(massInside(map, 14, 14, 4)).toBeCloseTo(1, 5);
    model.dispose();
  });
});
