// Data augmentation on the fly, on the uint8 images of one batch (no per-image tensors): the batch
// is copied, transformed in place and then turned into one tensor as usual. Seeded through the
// `random` function the caller passes (the trainer derives it from the run seed and the epoch), so
// the same seed gives the same batches. Labels are never touched.
import { IMAGE_SIZE } from "./classes";
import { frameBox } from "./preprocess";

const S = IMAGE_SIZE;
const PIXELS = S * S;

export interface AugmentOptions {
  /** Random crop with zero padding: shift by up to this many pixels in x and y (0 = off). */
  cropPadding: number;
  /** Mirror left-right with probability 0.5. */
  flip: boolean;
  /** Random erasing (Zhong et al. 2017) with this probability per image (0 = off): a rectangle of
   * 2-33% of the image with aspect ratio 0.3-3.3 filled with uniform random grey values. */
  erasing: number;
  /** "Photo" augmentation with this probability per image (0 = off): what preprocessPhoto leaves
   * of a real photo. The item shrunk (a box a little too loose) and moved, its contrast changed
   * (gamma), a floor under its pixels (a white item drawn at least this bright), and sometimes a
   * thin line or a faint patch of left-over background beside it. */
  photo?: number;
  /** "Background" augmentation with this probability per image (0 = off): what a segmentation that
   * failed leaves of a real photo. The item, shrunk and moved in a box too loose for it, is
   * composited onto a smooth textured background (a floor, a bed sheet, a wall: gradient,
   * low-frequency blotches, fine grain or stripes), lighter or darker than the item, sometimes with
   * a blob cut by the frame's edge (a head, a leg, the other shoe). */
  background?: number;
  /** "Affine" augmentation with this probability per image (0 = off): the item turned by up to
   * 15 degrees either way, scaled by 0.85-1.05 and sheared by up to 0.1, as items lie in photos
   * (a sandal laid diagonally, a shirt hung askew, a person leaning), where Fashion-MNIST shows
   * every item upright. */
  affine?: number;
  /** "Pair" augmentation with this probability per shoe image (0 = off; sandals, sneakers and
   * ankle boots only, so it needs the batch's labels): the shoe as half of a pair, as shops
   * photograph shoes: a second copy a little smaller behind it, offset sideways and up, or beside
   * it; the two framed together as preprocessPhoto frames a photo's item box (long side to 28).
   * Fashion-MNIST shows one shoe, and a pair read as one wide item went to Bag or Trouser. */
  pair?: number;
}

export const NO_AUGMENTATION: AugmentOptions = { cropPadding: 0, flip: false, erasing: 0, photo: 0, background: 0, affine: 0, pair: 0 };

/** The shoe classes (Sandal, Sneaker, Ankle boot): the ones photographed as pairs. */
const SHOE_LABELS = new Set([5, 7, 9]);

export function augmentationEnabled(a: AugmentOptions): boolean {
  return a.cropPadding > 0 || a.flip || a.erasing > 0 || (a.photo ?? 0) > 0 || (a.background ?? 0) > 0 || (a.affine ?? 0) > 0 || (a.pair ?? 0) > 0;
}

/** Returns augmented copies of `count` consecutive 28x28 uint8 images from `images`; `labels` (the
 * images' classes, same order) is needed only by the pair augmentation. */
export function augmentImages(images: Uint8Array, count: number, options: AugmentOptions, random: () => number, labels?: ArrayLike<number>): Uint8Array {
  const pair = options.pair ?? 0;
  if (pair > 0 && !labels) throw new Error("the pair augmentation needs the images' labels");
  const out = new Uint8Array(images.subarray(0, count * PIXELS));
  const scratch = new Uint8Array(PIXELS);
  for (let k = 0; k < count; k++) {
    const img = out.subarray(k * PIXELS, (k + 1) * PIXELS);
    // First: the pair is framed like a whole photo's item, and the other steps apply to that.
    if (pair > 0 && labels && SHOE_LABELS.has(labels[k]) && random() < pair) pairUp(img, random);
    // Turned before the crop, so the crop's shift and the erasing apply to the turned item.
    if ((options.affine ?? 0) > 0 && random() < (options.affine ?? 0)) affine(img, random, scratch);
    if (options.cropPadding > 0) {
      const p = options.cropPadding;
      const dx = Math.floor(random() * (2 * p + 1)) - p;
      const dy = Math.floor(random() * (2 * p + 1)) - p;
      if (dx !== 0 || dy !== 0) shift(img, dx, dy, scratch);
    }
    if (options.flip && random() < 0.5) mirror(img);
    if (options.erasing > 0 && random() < options.erasing) erase(img, random);
    if ((options.photo ?? 0) > 0 && random() < (options.photo ?? 0)) photoLike(img, random, scratch);
    if ((options.background ?? 0) > 0 && random() < (options.background ?? 0)) onBackground(img, random, scratch);
  }
  return out;
}

/** A pixel of one 28x28 image, 0 outside it. */
const pixelAt = (img: Uint8Array, x: number, y: number) => (x < 0 || y < 0 || x >= S || y >= S ? 0 : img[y * S + x]);

/** One 28x28 image at a fractional point, bilinear (0 outside): what affine, pairUp and shrinkInto sample. */
function bilinearAt(img: Uint8Array, sx: number, sy: number): number {
  const x0 = Math.floor(sx);
  const y0 = Math.floor(sy);
  const fx = sx - x0;
  const fy = sy - y0;
  return pixelAt(img, x0, y0) * (1 - fx) * (1 - fy) + pixelAt(img, x0 + 1, y0) * fx * (1 - fy) + pixelAt(img, x0, y0 + 1) * (1 - fx) * fy + pixelAt(img, x0 + 1, y0 + 1) * fx * fy;
}

/** One image turned, scaled and sheared about its centre (see AugmentOptions.affine), bilinear. */
function affine(img: Uint8Array, random: () => number, scratch: Uint8Array): void {
  const angle = ((random() * 2 - 1) * 15 * Math.PI) / 180;
  const scale = 0.85 + 0.2 * random();
  const shear = (random() * 2 - 1) * 0.1;
  // Forward map: scale, shear x by y, then rotate. Sampled through its inverse.
  const [c, s] = [Math.cos(angle), Math.sin(angle)];
  const [a, b, cc, d] = [scale * c, scale * (c * shear - s), scale * s, scale * (s * shear + c)];
  const det = a * d - b * cc;
  const [ia, ib, ic, id] = [d / det, -b / det, -cc / det, a / det];
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++) {
      const u = x - 13.5;
      const v = y - 13.5;
      scratch[y * S + x] = Math.round(bilinearAt(img, ia * u + ib * v + 13.5, ic * u + id * v + 13.5));
    }
  img.set(scratch);
}

/** The box [x0, y0, x1, y1] (inclusive) of the pixels above 10 in a side x side picture, or null. */
function litBox(values: ArrayLike<number>, side: number): [number, number, number, number] | null {
  let [x0, y0, x1, y1] = [side, side, -1, -1];
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++)
      if (values[y * side + x] > 10) [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
  return x1 < 0 ? null : [x0, y0, x1, y1];
}

/** One shoe made half of a pair (see AugmentOptions.pair). */
export function pairUp(img: Uint8Array, random: () => number): void {
  const item = litBox(img, S);
  if (!item) return;
  const [bx0, by0, bx1, by1] = item;
  const [bw, bh] = [bx1 - bx0 + 1, by1 - by0 + 1];
  // The other shoe: 0.8-1x the size (farther away), a little dimmer (in shade); 70% of the time
  // behind (offset sideways by 15-60% of the width and up by 5-40% of the height), else beside (a
  // gap of up to 15% of the width, level within 10%).
  const s = 0.8 + 0.2 * random();
  const dim = 0.7 + 0.3 * random();
  const side = random() < 0.5 ? -1 : 1;
  const behind = random() < 0.7;
  const dx = side * (behind ? 0.15 + 0.45 * random() : 1 + 0.15 * random()) * bw;
  const dy = behind ? -(0.05 + 0.35 * random()) * bh : (random() - 0.5) * 0.2 * bh;
  // A canvas three times the side, the shoe in its middle square.
  const C = 3 * S;
  const canvas = new Float32Array(C * C);
  const [cx, cy] = [(bx0 + bx1) / 2, (by0 + by1) / 2];
  for (let y = 0; y < C; y++)
    for (let x = 0; x < C; x++) {
      // The far shoe, bilinear, scaled about its centre and moved.
      const far = dim * bilinearAt(img, (x - S - cx - dx) / s + cx, (y - S - cy - dy) / s + cy);
      // The near shoe covers the far one where it is drawn.
      const near = pixelAt(img, x - S, y - S);
      canvas[y * C + x] = near > 10 ? near : Math.max(near, far);
    }
  // The near shoe alone is lit, so the pair's box exists.
  const [ux0, uy0, ux1, uy1] = litBox(canvas, C)!;
  // Framed as preprocessPhoto frames a photo's item box.
  const [boxW, boxH] = [ux1 - ux0 + 1, uy1 - uy0 + 1];
  const box = new Float32Array(boxW * boxH);
  for (let y = 0; y < boxH; y++) for (let x = 0; x < boxW; x++) box[y * boxW + x] = canvas[(uy0 + y) * C + ux0 + x] / 255;
  const framed = frameBox(box, boxW, boxH);
  for (let i = 0; i < PIXELS; i++) img[i] = Math.round(framed[i] * 255);
}

/** Bilinear resize of `img` by `s` about (cx, cy) into `out` (the rest 0). */
function shrinkInto(img: Uint8Array, s: number, cx: number, cy: number, out: Uint8Array): void {
  out.fill(0);
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++) {
      out[y * S + x] = Math.round(bilinearAt(img, (x - cx) / s + 13.5, (y - cy) / s + 13.5));
    }
}

/** One image composited onto a textured background (see AugmentOptions.background). */
function onBackground(img: Uint8Array, random: () => number, scratch: Uint8Array): void {
  // The item in a box 1-1.5x too loose, placed anywhere it still fits.
  const s = 1 / (1 + 0.5 * random());
  shrinkInto(img, s, 13.5 + (random() - 0.5) * 2 * (1 - s) * 14, 13.5 + (random() - 0.5) * 2 * (1 - s) * 14, scratch);
  // Background: a level, a linear gradient, blotches (a 4x4 grid of random values upsampled),
  // and fine grain or stripes. Values in 0..255 before the item goes on.
  const level = 20 + random() * 140;
  const gradient = (random() - 0.5) * 120;
  const angle = random() * 2 * Math.PI;
  const blotch = random() * 60;
  const grid = Array.from({ length: 16 }, () => random() - 0.5);
  const grain = random() < 0.5 ? random() * 30 : 0;
  const stripes = random() < 0.25 ? { amp: 10 + random() * 30, period: 2 + random() * 5, angle: random() * Math.PI } : null;
  // Item polarity: usually brighter than the background (a dark item on a light floor, drawn as
  // darkness), sometimes darker (a white item on a dark floor).
  const darker = random() < 0.3;
  const gain = darker ? 0.15 + 0.35 * random() : 1;
  const blob = random() < 0.3 ? { x: random() * S, y: random() < 0.5 ? -2 - random() * 4 : S + 1 + random() * 4, r: 4 + random() * 6, v: 40 + random() * 180 } : null;
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++) {
      const u = (x / (S - 1)) * 3;
      const w = (y / (S - 1)) * 3;
      const gx = Math.min(2, Math.floor(u));
      const gy = Math.min(2, Math.floor(w));
      const fx = u - gx;
      const fy = w - gy;
      const g = (i: number, j: number) => grid[j * 4 + i];
      const smooth = g(gx, gy) * (1 - fx) * (1 - fy) + g(gx + 1, gy) * fx * (1 - fy) + g(gx, gy + 1) * (1 - fx) * fy + g(gx + 1, gy + 1) * fx * fy;
      let b = level + gradient * (((x - 13.5) * Math.cos(angle) + (y - 13.5) * Math.sin(angle)) / 14) + blotch * smooth;
      if (grain > 0) b += (random() - 0.5) * grain;
      if (stripes) b += stripes.amp * Math.sin((2 * Math.PI * (x * Math.cos(stripes.angle) + y * Math.sin(stripes.angle))) / stripes.period);
      if (blob && (x - blob.x) ** 2 + (y - blob.y) ** 2 < blob.r ** 2) b = blob.v;
      const v = scratch[y * S + x];
      const alpha = Math.min(1, v / 40);
      img[y * S + x] = Math.max(0, Math.min(255, Math.round(alpha * v * gain + (1 - alpha) * b)));
    }
  // Preprocessing stretches every input so its brightest pixel is 255.
  let max = 0;
  for (let i = 0; i < PIXELS; i++) max = Math.max(max, img[i]);
  if (max > 12 && max < 255) for (let i = 0; i < PIXELS; i++) img[i] = Math.round((img[i] * 255) / max);
}

/** One image made to look like a preprocessed real photo (see AugmentOptions.photo). */
function photoLike(img: Uint8Array, random: () => number, scratch: Uint8Array): void {
  // Shrink by 0.75-1 about a point near the centre (bilinear), the rest black.
  const s = 0.75 + 0.25 * random();
  shrinkInto(img, s, 13.5 + (random() - 0.5) * 2 * (1 - s) * 14, 13.5 + (random() - 0.5) * 2 * (1 - s) * 14, scratch);
  img.set(scratch);
  // Contrast: gamma 0.6-1.6, then a floor of 0-25% under the item's pixels, then stretched to 255.
  const gamma = Math.exp(Math.log(0.6) + random() * (Math.log(1.6) - Math.log(0.6)));
  const floor = random() < 0.5 ? random() * 64 : 0;
  let max = 0;
  for (let i = 0; i < PIXELS; i++) {
    if (img[i] === 0) continue;
    const v = Math.max(floor * Math.min(1, img[i] / 24), 255 * (img[i] / 255) ** gamma);
    img[i] = Math.min(255, Math.round(v));
    if (img[i] > max) max = img[i];
  }
  if (max > 0 && max < 255) for (let i = 0; i < PIXELS; i++) img[i] = Math.round((img[i] * 255) / max);
  // Left-overs: a thin line across the picture or a faint patch at an edge.
  const r = random();
  if (r < 0.2) {
    const at = Math.floor(random() * S);
    const v = 40 + Math.floor(random() * 120);
    const horizontal = random() < 0.5;
    for (let k = 0; k < S; k++) {
      const i = horizontal ? at * S + k : k * S + at;
      img[i] = Math.max(img[i], v);
    }
  } else if (r < 0.4) {
    const w = 2 + Math.floor(random() * 6);
    const h = 2 + Math.floor(random() * 6);
    const left = random() < 0.5 ? 0 : S - w;
    const top = Math.floor(random() * (S - h));
    const v = 20 + Math.floor(random() * 80);
    for (let y = top; y < top + h; y++) for (let x = left; x < left + w; x++) img[y * S + x] = Math.max(img[y * S + x], v);
  }
}

/** Moves the picture by (dx, dy) pixels, filling what comes in with zeros (the padded crop). */
function shift(img: Uint8Array, dx: number, dy: number, scratch: Uint8Array): void {
  scratch.fill(0);
  for (let y = 0; y < S; y++) {
    const sy = y - dy;
    if (sy < 0 || sy >= S) continue;
    for (let x = 0; x < S; x++) {
      const sx = x - dx;
      if (sx >= 0 && sx < S) scratch[y * S + x] = img[sy * S + sx];
    }
  }
  img.set(scratch);
}

/** Mirrors one 28x28 image left-right in place. */
export function mirror(img: Uint8Array | Float32Array): void {
  for (let y = 0; y < S; y++) {
    const row = y * S;
    for (let x = 0; x < S / 2; x++) {
      const a = row + x;
      const b = row + S - 1 - x;
      const t = img[a];
      img[a] = img[b];
      img[b] = t;
    }
  }
}

function erase(img: Uint8Array, random: () => number): void {
  // Up to ten tries for a rectangle that fits, as in the paper's reference implementation.
  for (let attempt = 0; attempt < 10; attempt++) {
    const area = PIXELS * (0.02 + random() * (1 / 3 - 0.02));
    const logRatio = Math.log(0.3) + random() * (Math.log(1 / 0.3) - Math.log(0.3));
    const ratio = Math.exp(logRatio);
    const h = Math.round(Math.sqrt(area * ratio));
    const w = Math.round(Math.sqrt(area / ratio));
    if (h < 1 || w < 1 || h >= S || w >= S) continue;
    const top = Math.floor(random() * (S - h + 1));
    const left = Math.floor(random() * (S - w + 1));
    for (let y = top; y < top + h; y++) for (let x = left; x < left + w; x++) img[y * S + x] = Math.floor(random() * 256);
    return;
  }
}
