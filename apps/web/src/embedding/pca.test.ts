import { describe, expect, it } from "vitest";
import { pca } from "./pca";

describe("pca", () => {
  it("finds the directions of largest variance, largest first", () => {
    // Points spread 10x along (1, 1, 0)/sqrt2, 3x along (0, 0, 1), 0.5x along (1, -1, 0)/sqrt2.
    let s = 12345;
    const rand = () => {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      return s / 2 ** 31 - 0.5;
    };
    const n = 4000;
    const data = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) {
      const [a, b, c] = [rand() * 10, rand() * 3, rand() * 0.5];
      data.set([5 + (a + c) / Math.SQRT2, -2 + (a - c) / Math.SQRT2, 7 + b], i * 3);
    }
    const r = pca(data, n, 3);
    // Uniform on [-w/2, w/2] has variance w^2 / 12.
    expect(r.variance[0]).toBeCloseTo(100 / 12, 0);
    expect(r.variance[1]).toBeCloseTo(9 / 12, 1);
    expect(r.totalVariance).toBeCloseTo(100 / 12 + 9 / 12 + 0.25 / 12, 0);
    // The first coordinate is the projection on (1,1,0)/sqrt2 of the centred point (up to sign).
    let m0 = 0;
    let m1 = 0;
    for (let i = 0; i < n; i++) {
      m0 += data[i * 3] / n;
      m1 += data[i * 3 + 1] / n;
    }
    const x0 = (data[0] - m0 + data[1] - m1) / Math.SQRT2;
    expect(Math.abs(r.projected[0])).toBeCloseTo(Math.abs(x0), 2);
    let mean = 0;
    for (let i = 0; i < n; i++) mean += r.projected[i * 2];
    expect(mean / n).toBeCloseTo(0, 5);
  });
});
