// IS-Net through onnxruntime-web (the real weights from node_modules, as the endpoint, bench:photos
// and the page's worker run them): the graph's input size freed, the mask of a real photo's pullover
// on a bed sheet, and preprocessPhoto taking the item's box and region from a map.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-web";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { preprocessPhoto } from "./preprocess";
import { createSalientSegmenter, SALIENT_SIDE, type SalientSegmenter } from "./salient";
import { loadSalientSegmenter, salientModel, shippedSalientModel } from "./salient-node";

const { onnx } = onnxProto;

/** A deterministic pseudo-random texture in -amp..amp (a cloth's weave). */
const noise = (x: number, y: number, amp: number) => ((((x * 73856093) ^ (y * 19349663)) >>> 0) % (2 * amp + 1)) - amp;

/** A dark "T-shirt" (body and short sleeves) on a light, coarsely textured cloth, 480x400. */
const W = 480;
const H = 400;
const SHIRT_BOX = { x: 120, y: 80, width: 240, height: 260 };
const inShirt = (x: number, y: number) => (x >= 170 && x < 310 && y >= 80 && y < 340) || (x >= 120 && x < 360 && y >= 80 && y < 160);
function shirtPicture(): Uint8ClampedArray {
  const out = new Uint8ClampedArray(W * H * 4);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const cloth = 205 + 25 * Math.sign(Math.sin(x / 5)) * Math.sign(Math.sin(y / 7)) + noise(x, y, 12);
      const v: [number, number, number] = inShirt(x, y) ? [30 + noise(x, y, 6), 40, 90] : [cloth, cloth - 8, cloth - 20];
      out.set([...v, 255], (y * W + x) * 4);
    }
  return out;
}

/** A real photo (../shared/real-photos): a grey pullover laid on a red bed sheet, a white cushion
 * cut by the right edge. The border model takes the sheet for the item's surroundings and the
 * cushion for the item. Decoded by sharp, as the endpoint decodes. */
const PULLOVER = resolve(import.meta.dirname, "../../../../shared/real-photos/2-pullover/cds-14c2f75c.jpg");
async function pulloverPhoto(): Promise<{ rgba: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(readFileSync(PULLOVER)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { rgba: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

let segmenter: SalientSegmenter;
beforeAll(async () => {
  segmenter = await loadSalientSegmenter();
}, 120_000);

describe("IS-Net salient-object segmentation", () => {
  it("frees the graph's input size: no traced Resize sizes, symbolic height and width", async () => {
    const model = onnx.ModelProto.decode(await salientModel());
    const resizes = (model.graph?.node ?? []).filter((n) => n.opType === "Resize");
    expect(resizes.length).toBeGreaterThan(10);
    for (const r of resizes) {
      expect(r.input?.[3] ?? "", r.name ?? "").toBe("");
      expect(r.input?.[2], r.name ?? "").toMatch(/^free_input_scales_/);
    }
    const dims = model.graph?.input?.[0].type?.tensorType?.shape?.dim ?? [];
    expect(dims.map((d) => d.dimParam || Number(d.dimValue))).toEqual([1, 3, "input_height", "input_width"]);
  });

  it("gives the shipped graph's mask at the traced 1024x1024", async () => {
    const shipped = await shippedSalientModel();
    const freed = await salientModel();
    const x = new Float32Array(3 * 1024 * 1024);
    const { rgba, width, height } = await pulloverPhoto();
    for (let y = 0; y < 1024; y++)
      for (let xx = 0; xx < 1024; xx++) {
        const i = (Math.floor((y * height) / 1024) * width + Math.floor((xx * width) / 1024)) * 4;
        for (let c = 0; c < 3; c++) x[c * 1024 * 1024 + y * 1024 + xx] = (rgba[i + c] - 128) / 256;
      }
    const masks: Float32Array[] = [];
    for (const bytes of [shipped, freed]) {
      const session = await ort.InferenceSession.create(bytes);
      const out = await session.run({ input: new ort.Tensor("float32", x, [1, 3, 1024, 1024]) }, ["output"]);
      masks.push(out.output.data as Float32Array);
      await session.release();
    }
    let maxDiff = 0;
    let item = 0;
    for (let i = 0; i < masks[0].length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(masks[0][i] - masks[1][i]));
      if (masks[0][i] > 0.5) item++;
    }
    expect(item / masks[0].length).toBeGreaterThan(0.2);
    expect(maxDiff).toBeLessThan(1e-4);
  }, 120_000);

  it("finds the pullover on the bed sheet, where the border model takes the cushion", async () => {
    const { rgba, width, height } = await pulloverPhoto();
    expect([width, height]).toEqual([400, 300]);
    const map = await segmenter.map(rgba, width, height);
    expect([map.w, map.h]).toEqual([SALIENT_SIDE, SALIENT_SIDE]);
    const withMap = preprocessPhoto(rgba, width, height, { objectMap: map });
    const border = preprocessPhoto(rgba, width, height);
    // The pullover spans x 5-395, y 60-260 (measured on the picture); the cushion x 375-400, y 30-125.
    const b = withMap.box;
    expect(b.x, JSON.stringify(b)).toBeLessThan(25);
    expect(Math.abs(b.y - 60), JSON.stringify(b)).toBeLessThan(20);
    expect(b.x + b.width, JSON.stringify(b)).toBeGreaterThan(375);
    expect(b.y + b.height, JSON.stringify(b)).toBeGreaterThan(250);
    expect(border.box.x, JSON.stringify(border.box)).toBeGreaterThan(300);
    // Inside the box, the sheet is not item: the input's corners stay black.
    expect(withMap.input[2 * 28 + 1]).toBe(0);
    expect(withMap.input[14 * 28 + 14]).toBeGreaterThan(0.3);
  }, 30_000);

  it("preprocessPhoto takes the item's box and region from an object map", () => {
    // A hand-made map (no network): the shirt's probability 0.9, the cloth's 0.1.
    const side = 96;
    const data = new Float32Array(side * side);
    for (let ty = 0; ty < side; ty++)
      for (let tx = 0; tx < side; tx++) data[ty * side + tx] = inShirt(Math.floor(((tx + 0.5) * W) / side), Math.floor(((ty + 0.5) * H) / side)) ? 0.9 : 0.1;
    const rgba = shirtPicture();
    const withMap = preprocessPhoto(rgba, W, H, { objectMap: { data, w: side, h: side } });
    for (const [edge, actual, expected] of [
      ["left", withMap.box.x, SHIRT_BOX.x],
      ["top", withMap.box.y, SHIRT_BOX.y],
      ["right", withMap.box.x + withMap.box.width, SHIRT_BOX.x + SHIRT_BOX.width],
      ["bottom", withMap.box.y + withMap.box.height, SHIRT_BOX.y + SHIRT_BOX.height],
    ] as const)
      expect(Math.abs(actual - expected), `${edge} ${JSON.stringify(withMap.box)}`).toBeLessThanOrEqual(8);
    // The region is the mask, not its hull: the cloth under a sleeve, beside the body, stays black.
    expect(withMap.input[22 * 28 + 3]).toBe(0);
    expect(withMap.input[14 * 28 + 14]).toBeGreaterThan(0.5);
  });

  it("runs at another side that is a multiple of 64, and refuses one that is not", async () => {
    const { rgba, width, height } = await pulloverPhoto();
    const other = await loadSalientSegmenter({ side: 128 });
    expect(other).not.toBe(segmenter);
    const map = await other.map(rgba, width, height);
    expect([map.w, map.h]).toEqual([128, 128]);
    // The same pullover at a quarter of the default's pixels: most of the picture, its top-left corner not.
    let item = 0;
    for (const p of map.data) if (p > 0.5) item++;
    expect(item / map.data.length).toBeGreaterThan(0.3);
    expect(map.data[2 * 128 + 2]).toBeLessThan(0.5);
    const model = await salientModel();
    for (const side of [480, 100, 0])
      await expect(createSalientSegmenter(model, { side })).rejects.toThrow(`IS-Net's side must be a positive multiple of 64, not ${side}`);
  }, 60_000);

  it("refuses an object map whose size does not match its values", () => {
    const rgba = shirtPicture();
    expect(() => preprocessPhoto(rgba, W, H, { objectMap: { data: new Float32Array(10), w: 4, h: 4 } })).toThrow(/not 4x4/);
  });
});
