import { describe, expect, it } from "vitest";
import { imagesToTensor, preprocessPhoto } from "./preprocess";

function rgbaFrom(gray: (x: number, y: number) => number, w: number, h: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const v = gray(x, y);
      out.set([v, v, v, 255], (y * w + x) * 4);
    }
  return out;
}

describe("preprocessing", () => {
  it("scales uint8 pixels to [0,1] in [N,28,28,1]", () => {
    const px = new Uint8Array(2 * 784);
    px[0] = 255;
    px[784 + 5] = 51;
    const t = imagesToTensor(px);
    expect(t.shape).toEqual([2, 28, 28, 1]);
    const d = t.dataSync();
    expect(d[0]).toBe(1);
    expect(d[784 + 5]).toBeCloseTo(0.2, 6);
    t.dispose();
    expect(() => imagesToTensor(new Uint8Array(100), 1)).toThrow(/784 bytes/);
  });

  it("a dark object on a light photo is inverted, cropped, centred and kept in aspect", () => {
    // 200x100 white picture with a black 40x80 (w x h) rectangle at x 20..59, y 10..89.
    const w = 200;
    const h = 100;
    const rgba = rgbaFrom((x, y) => (x >= 20 && x < 60 && y >= 10 && y < 90 ? 0 : 255), w, h);
    const r = preprocessPhoto(rgba, w, h);
    expect(r.inverted).toBe(true);
    expect(r.box).toEqual({ x: 20, y: 10, width: 40, height: 80 });
    // Object is 80 tall -> 28 rows; 40 wide -> 14 columns, centred (columns 7..20).
    const at = (x: number, y: number) => r.input[y * 28 + x];
    expect(at(14, 14)).toBeCloseTo(1, 5);
    expect(at(7, 0)).toBeCloseTo(1, 5);
    expect(at(20, 27)).toBeCloseTo(1, 5);
    expect(at(6, 14)).toBe(0);
    expect(at(21, 14)).toBe(0);
  });

  it("a 28x28 Fashion-MNIST-style picture passes through unchanged", () => {
    const rgba = rgbaFrom((x, y) => (x * 9 + y) % 200, 28, 28);
    rgba.fill(0, 0, 4 * 28); // dark border rows keep the background dark
    const r = preprocessPhoto(rgba, 28, 28);
    expect(r.inverted).toBe(false);
    expect(r.input[28 * 5 + 3]).toBeCloseTo(((3 * 9 + 5) % 200) / 255, 6);
  });

  it("rejects data that does not match the size", () => {
    expect(() => preprocessPhoto(new Uint8ClampedArray(10), 5, 5)).toThrow(/5x5 RGBA/);
  });
});
