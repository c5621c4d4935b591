import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { pca } from "./pca";
import { randomizedPca } from "./pca-tf";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("randomizedPca", () => {
  it("matches the exact PCA on wide data with a few strong directions, and frees its tensors", () => {
    let s = 99;
    const rand = () => {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      return s / 2 ** 31 - 0.5;
    };
    const n = 800;
    const d = 120;
    const directions = Array.from({ length: 4 }, () => Array.from({ length: d }, rand));
    const scales = [12, 7, 4, 2];
    const data = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const coef = scales.map((sc) => rand() * sc);
      for (let j = 0; j < d; j++) data[i * d + j] = 3 + coef.reduce((acc, c, k) => acc + c * directions[k][j], 0) + rand() * 0.05;
    }
    const exact = pca(data, n, d, 3);
    const before = tf.memory().numTensors;
    const x = tf.tensor2d(data, [n, d]);
    const approx = randomizedPca(x, 3);
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
    for (let c = 0; c < 3; c++) {
      expect(approx.variance[c] / exact.variance[c]).toBeCloseTo(1, 3);
      // Same coordinates up to the sign of each component.
      let dot = 0;
      let na = 0;
      let ne = 0;
      for (let i = 0; i < n; i++) {
        dot += approx.projected[i * 3 + c] * exact.projected[i * 3 + c];
        na += approx.projected[i * 3 + c] ** 2;
        ne += exact.projected[i * 3 + c] ** 2;
      }
      expect(Math.abs(dot) / Math.sqrt(na * ne)).toBeGreaterThan(0.999);
    }
    expect(approx.totalVariance / exact.totalVariance).toBeCloseTo(1, 4);
  });
});
