// Data augmentation on the fly, on the uint8 images of one batch (no per-image tensors): the batch
// is copied, transformed in place and then turned into one tensor as usual. Seeded through the
// `random` function the caller passes (the trainer derives it from the run seed and the epoch), so
// the same seed gives the same batches. Labels are never touched.
import { IMAGE_SIZE } from "./classes";

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
}

export const NO_AUGMENTATION: AugmentOptions = { cropPadding: 0, flip: false, erasing: 0, photo: 0 };

export function augmentationEnabled(a: AugmentOptions): boolean {
  return a.cropPadding > 0 || a.flip || a.erasing > 0 || (a.photo ?? 0) > 0;
}

/** Returns augmented copies of `count` consecutive 28x28 uint8 images from `images`. */
export function augmentImages(images: Uint8Array, count: number, options: AugmentOptions, random: () => number): Uint8Array {
  const out = new Uint8Array(images.subarray(0, count * PIXELS));
  const scratch = new Uint8Array(PIXELS);
  for (let k = 0; k < count; k++) {
    const img = out.subarray(k * PIXELS, (k + 1) * PIXELS);
    if (options.cropPadding > 0) {
      const p = options.cropPadding;
      const dx = Math.floor(random() * (2 * p + 1)) - p;
      const dy = Math.floor(random() * (2 * p + 1)) - p;
      if (dx !== 0 || dy !== 0) shift(img, dx, dy, scratch);
    }
    if (options.flip && random() < 0.5) mirror(img);
    if (options.erasing > 0 && random() < options.erasing) erase(img, random);
    if ((options.photo ?? 0) > 0 && random() < (options.photo ?? 0)) photoLike(img, random, scratch);
  }
  return out;
}

/** One image made to look like a preprocessed real photo (see AugmentOptions.photo). */
function photoLike(img: Uint8Array, random: () => number, scratch: Uint8Array): void {
  // Shrink by 0.75-1 about a point near the centre (bilinear), the rest black.
  const s = 0.75 + 0.25 * random();
  const cx = 13.5 + (random() - 0.5) * 2 * (1 - s) * 14;
  const cy = 13.5 + (random() - 0.5) * 2 * (1 - s) * 14;
  scratch.fill(0);
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++) {
      const sx = (x - cx) / s + 13.5;
      const sy = (y - cy) / s + 13.5;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      if (x0 < -1 || y0 < -1 || x0 >= S || y0 >= S) continue;
      const fx = sx - x0;
      const fy = sy - y0;
      const at = (xx: number, yy: number) => (xx < 0 || yy < 0 || xx >= S || yy >= S ? 0 : img[yy * S + xx]);
      scratch[y * S + x] = Math.round(at(x0, y0) * (1 - fx) * (1 - fy) + at(x0 + 1, y0) * fx * (1 - fy) + at(x0, y0 + 1) * (1 - fx) * fy + at(x0 + 1, y0 + 1) * fx * fy);
    }
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
