import { seededRandom } from "@fmnist/data/split";
import { describe, expect, it } from "vitest";
import { augmentationEnabled, augmentImages, mirror, NO_AUGMENTATION } from "./augment";
import { RECIPE_NAMES, RECIPES } from "./recipes";
import { type LrSchedule, learningRateAt } from "./schedules";
import { trainConfigSchema } from "./train-config";

const base: LrSchedule = { name: "constant", learningRate: 0.01, epochs: 10, warmupEpochs: 0, stepEpochs: 3, stepGamma: 0.5 };

describe("learning-rate schedules match their formulas", () => {
  it("constant", () => {
    for (const t of [0, 3.3, 10]) expect(learningRateAt(base, t)).toBe(0.01);
  });
  it("step: lr * gamma^floor(epoch / stepEpochs)", () => {
    const s = { ...base, name: "step" as const };
    expect(learningRateAt(s, 0)).toBe(0.01);
    expect(learningRateAt(s, 2.9)).toBe(0.01);
    expect(learningRateAt(s, 3)).toBe(0.005);
    expect(learningRateAt(s, 6.5)).toBe(0.0025);
    expect(learningRateAt(s, 9.99)).toBeCloseTo(0.00125, 12);
  });
  it("cosine with warm-up: linear to the peak, then half a cosine to 0", () => {
    const s = { ...base, name: "cosine" as const, warmupEpochs: 2 };
    expect(learningRateAt(s, 0)).toBe(0);
    expect(learningRateAt(s, 1)).toBeCloseTo(0.005, 12);
    expect(learningRateAt(s, 2)).toBeCloseTo(0.01, 12);
    expect(learningRateAt(s, 6)).toBeCloseTo(0.005, 12); // halfway through the cosine
    expect(learningRateAt(s, 4)).toBeCloseTo(0.5 * 0.01 * (1 + Math.cos(Math.PI / 4)), 12);
    expect(learningRateAt(s, 10)).toBeCloseTo(0, 12);
  });
  it("one-cycle: lr/25 up to lr at 30%, then down to lr/25e4 (PyTorch OneCycleLR, cos)", () => {
    const s = { ...base, name: "one-cycle" as const };
    expect(learningRateAt(s, 0)).toBeCloseTo(0.01 / 25, 12);
    expect(learningRateAt(s, 3)).toBeCloseTo(0.01, 12);
    expect(learningRateAt(s, 1.5)).toBeCloseTo((0.01 + 0.01 / 25) / 2, 12);
    expect(learningRateAt(s, 10)).toBeCloseTo(0.01 / 25 / 1e4, 12);
    expect(learningRateAt(s, 6.5)).toBeCloseTo(0.01 / 25e4 + ((0.01 - 0.01 / 25e4) * (1 + Math.cos(Math.PI * 0.5))) / 2, 12);
  });
});

/** Ten 28x28 images, each a different asymmetric pattern, and their labels. */
function images(): Uint8Array {
  const out = new Uint8Array(10 * 784);
  for (let k = 0; k < 10; k++) for (let p = 0; p < 784; p++) out[k * 784 + p] = (p % 28) < 10 + k ? (p * 7 + k * 13) % 256 : 0;
  return out;
}
describe("augmentation", () => {
  const opts = { cropPadding: 2, flip: true, erasing: 0.5 };
  it("is deterministic for a seed, differs across seeds and leaves the source untouched", () => {
    const src = images();
    const copy = src.slice();
    const a = augmentImages(src, 10, opts, seededRandom(1));
    const b = augmentImages(src, 10, opts, seededRandom(1));
    const c = augmentImages(src, 10, opts, seededRandom(2));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(src).toEqual(copy);
    expect(a.length).toBe(src.length);
  });
  it("off means identity; flip alone only ever mirrors; crop alone only shifts", () => {
    const src = images();
    expect(augmentImages(src, 10, NO_AUGMENTATION, seededRandom(3))).toEqual(src);
    const flipped = augmentImages(src, 10, { ...NO_AUGMENTATION, flip: true }, seededRandom(4));
    let mirrored = 0;
    for (let k = 0; k < 10; k++) {
      const out = flipped.subarray(k * 784, (k + 1) * 784);
      const m = src.slice(k * 784, (k + 1) * 784);
      mirror(m);
      if (out.every((v, i) => v === m[i])) mirrored++;
      else expect(Array.from(out)).toEqual(Array.from(src.subarray(k * 784, (k + 1) * 784)));
    }
    expect(mirrored).toBeGreaterThan(0);
    expect(mirrored).toBeLessThan(10);
    const shifted = augmentImages(src, 10, { ...NO_AUGMENTATION, cropPadding: 2 }, seededRandom(5));
    for (let k = 0; k < 10; k++) {
      const out = shifted.subarray(k * 784, (k + 1) * 784);
      const ink = (a: Uint8Array) => a.reduce((s, v) => s + (v > 0 ? 1 : 0), 0);
      expect(ink(out)).toBeLessThanOrEqual(ink(src.subarray(k * 784, (k + 1) * 784)));
    }
  });
  it("photo augmentation: seeded, applied to about its share of images, keeps the item's brightest pixel at 255", () => {
    const src = images();
    const a = augmentImages(src, 10, { ...NO_AUGMENTATION, photo: 0.5 }, seededRandom(6));
    expect(a).toEqual(augmentImages(src, 10, { ...NO_AUGMENTATION, photo: 0.5 }, seededRandom(6)));
    let changed = 0;
    for (let k = 0; k < 10; k++) {
      const out = a.subarray(k * 784, (k + 1) * 784);
      const before = src.subarray(k * 784, (k + 1) * 784);
      if (out.some((v, i) => v !== before[i])) {
        changed++;
        if (Math.max(...before) > 0) expect(Math.max(...out)).toBe(255);
      }
    }
    expect(changed).toBeGreaterThan(0);
    expect(changed).toBeLessThan(10);
    expect(augmentImages(src, 10, { ...NO_AUGMENTATION, photo: 0 }, seededRandom(6))).toEqual(src);
    // The default config keeps old runs' behaviour: no photo augmentation.
    expect(trainConfigSchema.parse({ name: "x" }).augmentPhoto).toBe(0);
  });
  it("background augmentation: the border is filled, the item stays apart from it, lighter or darker", () => {
    // A bright square on black, 40 times over.
    const n = 40;
    const src = new Uint8Array(n * 784);
    for (let k = 0; k < n; k++) for (let y = 4; y < 24; y++) for (let x = 4; x < 24; x++) src[k * 784 + y * 28 + x] = 200;
    const a = augmentImages(src, n, { ...NO_AUGMENTATION, background: 1 }, seededRandom(8));
    expect(a).toEqual(augmentImages(src, n, { ...NO_AUGMENTATION, background: 1 }, seededRandom(8)));
    let lighter = 0;
    let darker = 0;
    for (let k = 0; k < n; k++) {
      const img = a.subarray(k * 784, (k + 1) * 784);
      const border: number[] = [];
      for (let i = 0; i < 28; i++) border.push(img[i], img[27 * 28 + i], img[i * 28], img[i * 28 + 27]);
      const borderMean = border.reduce((s, v) => s + v, 0) / border.length;
      // The square shrinks by at most 1.5x and moves only within the frame: the centre stays on it.
      const centre = img[14 * 28 + 14];
      expect(borderMean).toBeGreaterThan(5);
      expect(Math.max(...img)).toBe(255);
      if (centre > borderMean + 20) lighter++;
      else if (centre < borderMean - 20) darker++;
    }
    expect(lighter).toBeGreaterThan(n / 2);
    expect(darker).toBeGreaterThan(0);
    expect(augmentImages(src, n, { ...NO_AUGMENTATION, background: 0 }, seededRandom(8))).toEqual(src);
    expect(trainConfigSchema.parse({ name: "x" }).augmentBackground).toBe(0);
  });
  it("affine augmentation: a bar is turned, scaled and sheared within limits, its mass kept", () => {
    // A vertical bar 4 wide through the centre, 60 times over.
    const n = 60;
    const src = new Uint8Array(n * 784);
    for (let k = 0; k < n; k++) for (let y = 4; y < 24; y++) for (let x = 12; x < 16; x++) src[k * 784 + y * 28 + x] = 240;
    const a = augmentImages(src, n, { ...NO_AUGMENTATION, affine: 1 }, seededRandom(9));
    expect(a).toEqual(augmentImages(src, n, { ...NO_AUGMENTATION, affine: 1 }, seededRandom(9)));
    const srcMass = src.subarray(0, 784).reduce((s, v) => s + v, 0);
    const angles: number[] = [];
    for (let k = 0; k < n; k++) {
      const img = a.subarray(k * 784, (k + 1) * 784);
      // Mass scales with the area: 0.85^2 to 1.05^2 of the bar's, give or take the resampling.
      const mass = img.reduce((s, v) => s + v, 0);
      expect(mass / srcMass).toBeGreaterThan(0.65);
      expect(mass / srcMass).toBeLessThan(1.2);
      // The bar's axis from its second moments: within 15 degrees of vertical plus the shear's ~6.
      let [m, cx, cy] = [0, 0, 0];
      for (let i = 0; i < 784; i++) [m, cx, cy] = [m + img[i], cx + img[i] * (i % 28), cy + img[i] * Math.floor(i / 28)];
      [cx, cy] = [cx / m, cy / m];
      let [sxx, syy, sxy] = [0, 0, 0];
      for (let i = 0; i < 784; i++) {
        const [dx, dy] = [(i % 28) - cx, Math.floor(i / 28) - cy];
        [sxx, syy, sxy] = [sxx + img[i] * dx * dx, syy + img[i] * dy * dy, sxy + img[i] * dx * dy];
      }
      const tilt = (Math.abs(0.5 * Math.atan2(2 * sxy, syy - sxx)) * 180) / Math.PI;
      expect(tilt).toBeLessThan(22);
      expect(Math.hypot(cx - 13.5, cy - 13.5)).toBeLessThan(1);
      angles.push(tilt);
    }
    // Turned for real, most by a few degrees or more.
    expect(angles.filter((t) => t > 3).length).toBeGreaterThan(n / 2);
    expect(augmentImages(src, n, { ...NO_AUGMENTATION, affine: 0 }, seededRandom(9))).toEqual(src);
    expect(trainConfigSchema.parse({ name: "x" }).augmentAffine).toBe(0);
  });
  it("pair augmentation: shoes only, a second shoe beside or behind, the two framed together", () => {
    // A wide "shoe" 20x8 (heel block on the right), framed as Fashion-MNIST frames one: its long
    // side fills the picture. Labels alternate Sneaker (7) and T-shirt (0).
    const n = 40;
    const src = new Uint8Array(n * 784);
    for (let k = 0; k < n; k++)
      for (let y = 10; y < 18; y++) for (let x = 0; x < 28; x++) src[k * 784 + y * 28 + x] = x > 20 && y < 14 ? 250 : 180;
    const labels = Array.from({ length: n }, (_, k) => (k % 2 === 0 ? 7 : 0));
    const a = augmentImages(src, n, { ...NO_AUGMENTATION, pair: 1 }, seededRandom(10), labels);
    expect(a).toEqual(augmentImages(src, n, { ...NO_AUGMENTATION, pair: 1 }, seededRandom(10), labels));
    const extent = (img: Uint8Array, along: "rows" | "columns") => {
      const lit: number[] = [];
      for (let i = 0; i < 28; i++) {
        let any = false;
        for (let j = 0; j < 28; j++) any ||= (along === "rows" ? img[i * 28 + j] : img[j * 28 + i]) > 10;
        if (any) lit.push(i);
      }
      return lit;
    };
    let [beside, behind] = [0, 0];
    for (let k = 0; k < n; k++) {
      const img = a.subarray(k * 784, (k + 1) * 784);
      if (labels[k] !== 7) {
        expect(img).toEqual(src.subarray(k * 784, (k + 1) * 784));
        continue;
      }
      expect(img).not.toEqual(src.subarray(k * 784, (k + 1) * 784));
      // The pair's long side still fills the picture, centred; the near shoe keeps its brightest
      // pixel. Side by side the shoe gets shorter (8 rows before); one behind, raised, adds rows.
      const rows = extent(img, "rows");
      expect(extent(img, "columns").length).toBeGreaterThanOrEqual(25);
      expect(Math.abs((rows[0] + rows[rows.length - 1]) / 2 - 13.5)).toBeLessThan(2);
      expect(Math.max(...img)).toBeGreaterThan(200);
      expect(rows.length).toBeGreaterThan(2);
      expect(rows.length).toBeLessThanOrEqual(11);
      if (rows.length <= 5) beside++;
      if (rows.length >= 8) behind++;
    }
    expect(beside).toBeGreaterThan(0);
    expect(behind).toBeGreaterThan(0);
    expect(() => augmentImages(src, n, { ...NO_AUGMENTATION, pair: 1 }, seededRandom(10))).toThrow(/labels/);
    expect(augmentImages(src, n, { ...NO_AUGMENTATION, pair: 0 }, seededRandom(10), labels)).toEqual(src);
    // On its own it still makes the trainer augment.
    expect(augmentationEnabled({ ...NO_AUGMENTATION, pair: 0.3 })).toBe(true);
    expect(trainConfigSchema.parse({ name: "x" }).augmentPair).toBe(0);
  });
  it("mirror twice is the identity", () => {
    const a = images().subarray(0, 784).slice();
    const b = a.slice();
    mirror(b);
    expect(b).not.toEqual(a);
    mirror(b);
    expect(b).toEqual(a);
  });
});

describe("recipes", () => {
  it("each recipe is a valid, complete config once named; the seed notebook's is the notebook's recipe", () => {
    for (const name of RECIPE_NAMES) {
      const c = trainConfigSchema.parse({ name, ...RECIPES[name].config });
      expect(Object.keys(c).sort()).toEqual(Object.keys(trainConfigSchema.parse({ name: "x" })).sort());
    }
    expect(trainConfigSchema.parse({ name: "n", ...RECIPES["seed-notebook"].config })).toMatchObject({
      architecture: "seed-notebook-cnn",
      batchSize: 128,
      validationSplit: 0.1,
      epochs: 20,
      patience: 10,
      learningRate: 0.001,
      optimizer: "adam",
    });
  });
});
