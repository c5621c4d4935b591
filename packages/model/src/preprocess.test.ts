import { describe, expect, it } from "vitest";
import { imagesToTensor, mirrorInput, preprocessPhoto } from "./preprocess";

type Rgb = [number, number, number];

function rgbaOf(colour: (x: number, y: number) => Rgb, w: number, h: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) out.set([...colour(x, y), 255], (y * w + x) * 4);
  return out;
}

/** Boxes agree within 3 source pixels on each edge (the item is found on a blurred small copy). */
function expectBox(actual: { x: number; y: number; width: number; height: number }, expected: { x: number; y: number; width: number; height: number }) {
  expect(Math.abs(actual.x - expected.x), `left ${JSON.stringify(actual)}`).toBeLessThanOrEqual(3);
  expect(Math.abs(actual.y - expected.y), `top ${JSON.stringify(actual)}`).toBeLessThanOrEqual(3);
  expect(Math.abs(actual.x + actual.width - expected.x - expected.width), `right ${JSON.stringify(actual)}`).toBeLessThanOrEqual(3);
  expect(Math.abs(actual.y + actual.height - expected.y - expected.height), `bottom ${JSON.stringify(actual)}`).toBeLessThanOrEqual(3);
}

/** A side-view "shoe" 160 wide, 60 tall: a sole x 40..199, y 100..129 and a shaft at the heel end
 * (x 150..199 when the heel is right, 40..89 when left), y 70..99; dark blue. */
const SHOE: Rgb = [30, 40, 90];
function inShoe(x: number, y: number, heelRight = true): boolean {
  const sole = x >= 40 && x < 200 && y >= 100 && y < 130;
  const shaft = y >= 70 && y < 100 && (heelRight ? x >= 150 && x < 200 : x >= 40 && x < 90);
  return sole || shaft;
}
const SHOE_BOX = { x: 40, y: 70, width: 160, height: 60 };

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
    expect(r.mirrored).toBe(false);
    expectBox(r.box, { x: 20, y: 10, width: 40, height: 80 });
    // Object is 80 tall -> 28 rows; 40 wide -> 14 columns, centred (columns 7..20).
    const at = (x: number, y: number) => r.input[y * 28 + x];
    expect(at(14, 14)).toBeCloseTo(1, 5);
    expect(at(8, 1)).toBeCloseTo(1, 5);
    expect(at(19, 26)).toBeCloseTo(1, 5);
    expect(at(5, 14)).toBe(0);
    expect(at(22, 14)).toBe(0);
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

  it("finds the item on a plain, a gradient, and a coloured background", () => {
    const w = 240;
    const h = 180;
    const plain = preprocessPhoto(rgbaOf((x, y) => (inShoe(x, y) ? SHOE : [250, 250, 250]), w, h), w, h);
    expectBox(plain.box, SHOE_BOX);
    expect(plain.inverted).toBe(true);
    // Light from the top left: the background runs from 250 to 140 across the picture.
    const shade = (x: number, y: number) => 250 - Math.round((110 * (x + y)) / (w + h));
    const gradient = preprocessPhoto(rgbaOf((x, y) => (inShoe(x, y) ? SHOE : [shade(x, y), shade(x, y), shade(x, y)]), w, h), w, h);
    expectBox(gradient.box, SHOE_BOX);
    // A strongly coloured cloth: no light border, so no inversion, and still the item's box.
    const red = preprocessPhoto(rgbaOf((x, y) => (inShoe(x, y) ? [240, 240, 240] : [170, 20, 30]), w, h), w, h);
    expectBox(red.box, SHOE_BOX);
    expect(red.inverted).toBe(false);
    // The input: the shoe fills the 28 columns, 60/160 of them tall (10-11 rows), centred.
    let rows = 0;
    for (let y = 0; y < 28; y++) if (plain.input.subarray(y * 28, y * 28 + 28).some((v) => v > 0.5)) rows++;
    expect(rows).toBeGreaterThanOrEqual(10);
    expect(rows).toBeLessThanOrEqual(12);
    expect(plain.input[14 * 28 + 0]).toBeGreaterThan(0.5);
    expect(plain.input[14 * 28 + 27]).toBeGreaterThan(0.5);
  });

  it("leaves a shadow under the item and thin lines (a frame, a floor edge) out of the box", () => {
    const w = 240;
    const h = 180;
    // A soft grey shadow below and right of the shoe, wider than it.
    const shadow = (x: number, y: number) => ((x - 130) / 100) ** 2 + ((y - 135) / 14) ** 2 < 1;
    const photo = rgbaOf((x, y) => (inShoe(x, y) ? SHOE : shadow(x, y) ? [185, 185, 185] : [245, 245, 245]), w, h);
    expectBox(preprocessPhoto(photo, w, h).box, SHOE_BOX);
    // The shadow does stand out from the background: kept, it makes the box taller.
    expect(preprocessPhoto(photo, w, h, { dropShadows: false }).box.height).toBeGreaterThan(70);
    // A 2-px frame 6 px inside the edge and a 2-px floor edge across the picture at y 150.
    const line = (x: number, y: number) => ((x === 6 || x === 7 || x === w - 7 || x === w - 8) && y >= 6 && y < h - 6) || ((y === 6 || y === 7 || y === h - 7 || y === h - 8) && x >= 6 && x < w - 6) || y === 150 || y === 151;
    const framed = preprocessPhoto(rgbaOf((x, y) => (inShoe(x, y) ? SHOE : line(x, y) ? [60, 60, 60] : [245, 245, 245]), w, h), w, h);
    expectBox(framed.box, SHOE_BOX);
  });

  it("turns a shoe heel-right as Fashion-MNIST shows shoes; a mirrored photo gives the same input", () => {
    const w = 240;
    const h = 180;
    const right = preprocessPhoto(rgbaOf((x, y) => (inShoe(x, y, true) ? SHOE : [250, 250, 250]), w, h), w, h);
    // The same shoe facing the other way, mirrored about the picture's centre.
    const left = preprocessPhoto(rgbaOf((x, y) => (inShoe(w - 1 - x, y, true) ? SHOE : [250, 250, 250]), w, h), w, h);
    expect(right.mirrored).toBe(false);
    expect(left.mirrored).toBe(true);
    expectBox(left.box, { x: w - 200, y: 70, width: 160, height: 60 });
    let diff = 0;
    for (let i = 0; i < 784; i++) diff = Math.max(diff, Math.abs(right.input[i] - left.input[i]));
    expect(diff).toBeLessThan(0.05);
    // The heel (top half) is on the right of the input.
    let topLeft = 0;
    let topRight = 0;
    for (let y = 0; y < 14; y++) for (let x = 0; x < 28; x++) (x < 14 ? (v: number) => (topLeft += v) : (v: number) => (topRight += v))(right.input[y * 28 + x]);
    expect(topRight).toBeGreaterThan(topLeft);
    // Without canonical orientation, the photo's own way round is kept.
    const kept = preprocessPhoto(rgbaOf((x, y) => (inShoe(w - 1 - x, y, true) ? SHOE : [250, 250, 250]), w, h), w, h, { orientation: "none" });
    expect(kept.mirrored).toBe(false);
    const back = mirrorInput(kept.input);
    for (let i = 0; i < 784; i++) expect(Math.abs(back[i] - left.input[i])).toBeLessThan(1e-6);
    // A tall item (a garment) is never turned.
    const tall = preprocessPhoto(rgbaOf((x, y) => (x >= 60 && x < 120 && y >= 20 && y < 160 && (y < 60 || x < 80) ? SHOE : [250, 250, 250]), w, h), w, h);
    expect(tall.mirrored).toBe(false);
  });

  it("a face and arms above a worn shirt stay out of the box; a tan bag is kept whole", () => {
    const w = 200;
    const h = 240;
    const SKIN: Rgb = [224, 172, 140];
    const shirt = (x: number, y: number) => x >= 50 && x < 150 && y >= 90 && y < 220;
    const face = (x: number, y: number) => (x - 100) ** 2 + (y - 55) ** 2 < 30 ** 2 || (x >= 90 && x < 110 && y >= 80 && y < 90);
    const worn = preprocessPhoto(rgbaOf((x, y) => (shirt(x, y) ? [40, 70, 160] : face(x, y) ? SKIN : [245, 245, 245]), w, h), w, h);
    expectBox(worn.box, { x: 50, y: 90, width: 100, height: 130 });
    const bag = preprocessPhoto(rgbaOf((x, y) => (x >= 40 && x < 160 && y >= 60 && y < 200 ? SKIN : [245, 245, 245]), w, h), w, h);
    expectBox(bag.box, { x: 40, y: 60, width: 120, height: 140 });
  });

  it("the full view keeps the whole picture, background and all, and mirrors as told", () => {
    // A dark item on a mid-grey floor, in a 280x140 picture: the item view crops it onto black, the
    // full view keeps the floor (grey, not black) over the picture's whole width.
    const w = 280;
    const h = 140;
    const rgba = rgbaFrom((x, y) => (x >= 100 && x < 160 && y >= 20 && y < 120 ? 20 : 140), w, h);
    const item = preprocessPhoto(rgba, w, h);
    expectBox(item.box, { x: 100, y: 20, width: 60, height: 100 });
    expect(item.input[2 * 28 + 2]).toBe(0);
    const full = preprocessPhoto(rgba, w, h, { view: "full", orientation: "none" });
    expect(full.box).toEqual({ x: 0, y: 0, width: w, height: h });
    // Long side 280 -> 28: the picture fills rows 7..20; the floor there is 115/235 of the item.
    expect(full.input[10 * 28 + 1]).toBeCloseTo((255 - 140) / (255 - 20), 1);
    expect(full.input[2 * 28 + 2]).toBe(0);
    expect(full.input[14 * 28 + 13]).toBeCloseTo(1, 5);
    const mirrored = preprocessPhoto(rgba, w, h, { view: "full", orientation: "mirrored" });
    expect(mirrored.mirrored).toBe(true);
    expect(Array.from(mirrored.input)).toEqual(Array.from(mirrorInput(full.input)));
  });

  it("a picture with nothing on it keeps the whole frame and says so", () => {
    const r = preprocessPhoto(rgbaOf(() => [200, 200, 200], 50, 40), 50, 40);
    expect(r.coverage).toBe(0);
    expect(r.box).toEqual({ x: 0, y: 0, width: 50, height: 40 });
  });
});
