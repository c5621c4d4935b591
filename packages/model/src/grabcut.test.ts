// GrabCut through OpenCV's WebAssembly build (the real one, as the page's worker and the server run
// it) on synthetic photos: a garment on a coloured cloth, a person (hair above, a belt below the
// garment), the centre seed, and the time it takes.
import { beforeAll, describe, expect, it } from "vitest";
import { loadGrabCut } from "./grabcut";
import { preprocessPhoto } from "./preprocess";
import { GC_BGD, GC_PR_BGD, GC_PR_FGD, type GrabCut } from "./segment";

type Rgb = [number, number, number];
type Box = { x: number; y: number; width: number; height: number };

/** A deterministic pseudo-random texture in -amp..amp (a cloth's weave, photo noise). */
const noise = (x: number, y: number, amp: number) => ((((x * 73856093) ^ (y * 19349663)) >>> 0) % (2 * amp + 1)) - amp;

function rgbaOf(colour: (x: number, y: number) => Rgb, w: number, h: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) out.set([...colour(x, y), 255], (y * w + x) * 4);
  return out;
}

/** Boxes agree within `tol` source pixels on each edge. */
function expectBox(actual: Box, expected: Box, tol: number) {
  const edges = (b: Box) => [b.x, b.y, b.x + b.width, b.y + b.height];
  const [a, e] = [edges(actual), edges(expected)];
  for (let k = 0; k < 4; k++) expect(Math.abs(a[k] - e[k]), `${["left", "top", "right", "bottom"][k]}: ${JSON.stringify(actual)} vs ${JSON.stringify(expected)}`).toBeLessThanOrEqual(tol);
}

/** A "pullover" 300x240 at (170, 120): a body and two sleeves hanging from its shoulders. */
const PULLOVER_BOX = { x: 170, y: 120, width: 300, height: 240 };
function inPullover(x: number, y: number): boolean {
  const body = x >= 230 && x < 410 && y >= 120 && y < 360;
  const sleeves = y >= 120 && y < 330 && ((x >= 170 && x < 230) || (x >= 410 && x < 470));
  return body || sleeves;
}

let grabCut: GrabCut;
beforeAll(async () => {
  grabCut = await loadGrabCut();
}, 60_000);

describe("GrabCut (OpenCV WebAssembly)", () => {
  it("loads once and cuts a square from its seeds", async () => {
    expect(await loadGrabCut()).toBe(grabCut);
    const w = 64;
    const h = 48;
    const rgb = new Uint8Array(w * h * 3);
    const labels = new Uint8Array(w * h);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const inside = x >= 20 && x < 44 && y >= 12 && y < 36;
        rgb.set(inside ? [30, 60, 120] : [200 + noise(x, y, 10), 200, 190], (y * w + x) * 3);
        // Seeds: a loose box around the square is probably item, the rest background.
        labels[y * w + x] = x >= 14 && x < 50 && y >= 6 && y < 42 ? GC_PR_FGD : x < 4 || y < 4 ? GC_BGD : GC_PR_BGD;
      }
    grabCut(rgb, w, h, labels, 3);
    let wrong = 0;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const item = labels[y * w + x] % 2 === 1;
        if (item !== (x >= 20 && x < 44 && y >= 12 && y < 36)) wrong++;
      }
    expect(wrong).toBeLessThan(0.01 * w * h);
  });

  it("gives the same mask on every call (its k-means is seeded)", () => {
    const w = 640;
    const h = 480;
    // A busy print on a busy cloth whose colours overlap. Unseeded, a real sneaker photo got two
    // different answers from two calls (apps/web serving.test.ts); this synthetic one does not show
    // it, so the test guards the repeatability, not the seed itself.
    const print = (x: number, y: number): Rgb => [128 + noise(x, y, 100), 128 + noise(y, x, 100), 128 + noise(x + y, x, 100)];
    const photo = rgbaOf((x, y) => (inPullover(x, y) ? print(x, y) : print(x + 7, y + 3).map((v) => v * 0.8 + 40) as Rgb), w, h);
    const first = preprocessPhoto(photo, w, h, { grabCut, grabCutAlways: true });
    for (let k = 0; k < 3; k++) expect(preprocessPhoto(photo, w, h, { grabCut, grabCutAlways: true }).input).toEqual(first.input);
  });

  it("finds a garment on a textured coloured cloth, as the border model alone does", () => {
    const w = 640;
    const h = 480;
    const photo = rgbaOf((x, y) => (inPullover(x, y) ? [40 + noise(x, y, 8), 70, 150] : [200 + noise(x, y, 25), 60 + noise(y, x, 15), 40]), w, h);
    const cut = preprocessPhoto(photo, w, h, { grabCut, grabCutAlways: true });
    expectBox(cut.box, PULLOVER_BOX, 6);
    expect(cut.inverted).toBe(false);
    const border = preprocessPhoto(photo, w, h, { grabCut: false });
    expectBox(border.box, PULLOVER_BOX, 6);
    // By default GrabCut only runs where the border model's box misses the centre: not here.
    expect(preprocessPhoto(photo, w, h, { grabCut }).input).toEqual(border.input);
  });

  it("keeps a person's hair above and belt below out of the garment's box", () => {
    const w = 640;
    const h = 480;
    // Dark hair over a skin-coloured face above the pullover, a thin dark belt below it.
    const hair = (x: number, y: number) => ((x - 320) / 45) ** 2 + ((y - 45) / 35) ** 2 < 1;
    const face = (x: number, y: number) => ((x - 320) / 35) ** 2 + ((y - 85) / 30) ** 2 < 1;
    const belt = (x: number, y: number) => x >= 250 && x < 390 && y >= 380 && y < 392;
    const person = rgbaOf(
      (x, y) => (inPullover(x, y) ? [150, 40, 50] : hair(x, y) ? [35, 25, 20] : face(x, y) ? [225, 170, 140] : belt(x, y) ? [30, 30, 30] : [235 + noise(x, y, 6), 235, 230]),
      w,
      h,
    );
    const cut = preprocessPhoto(person, w, h, { grabCut, grabCutAlways: true });
    expectBox(cut.box, PULLOVER_BOX, 6);
    expect(cut.inverted).toBe(true);
  });

  it("seeds the picture's centre when the border model's object misses it (a garment near the cloth's colour)", () => {
    const w = 640;
    const h = 480;
    // A light blue pullover on a slightly lighter, textured blue cloth (too close for the border
    // model's threshold), a dark bag in a corner that the border model takes for the item.
    const bag = (x: number, y: number) => x >= 20 && x < 110 && y >= 380 && y < 460;
    const photo = rgbaOf((x, y) => (inPullover(x, y) ? [150, 190, 222] : bag(x, y) ? [30, 25, 25] : [150 + noise(x, y, 30), 190 + noise(y, x, 20), 235]), w, h);
    const border = preprocessPhoto(photo, w, h, { grabCut: false });
    // The border model alone frames the bag, not the pullover.
    expect(border.box.x + border.box.width).toBeLessThan(200);
    const cut = preprocessPhoto(photo, w, h, { grabCut });
    expectBox(cut.box, PULLOVER_BOX, 12);
  });

  it("costs a bounded time on a 1024-px photo", () => {
    const w = 1024;
    const h = 768;
    const photo = rgbaOf((x, y) => (inPullover(x / 1.6, y / 1.6) ? [40, 70, 150] : [200 + noise(x, y, 25), 60, 40]), w, h);
    preprocessPhoto(photo, w, h, { grabCut, grabCutAlways: true });
    const t0 = performance.now();
    for (let k = 0; k < 3; k++) preprocessPhoto(photo, w, h, { grabCut, grabCutAlways: true });
    const ms = (performance.now() - t0) / 3;
    // About 0.1 s here on a quiet core (the working copy is 192 px whatever the photo's size);
    // the bound leaves room for a loaded CI machine.
    expect(ms).toBeLessThan(1500);
  });
});
