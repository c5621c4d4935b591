import { IMAGE_PIXELS, IMAGE_SIZE, toUnitPixels } from "@fmnist/data/image";
import * as tf from "@tensorflow/tfjs";
import { type SegmentOptions, segmentForeground } from "./segment";

const PIXELS = IMAGE_PIXELS;

/** uint8 IDX pixels (N*784) -> float32 tensor [N,28,28,1] in [0,1]. Trainer and browser share it. */
export function imagesToTensor(pixels: Uint8Array, count = pixels.length / PIXELS): tf.Tensor4D {
  if (!Number.isInteger(count) || pixels.length < count * PIXELS) {
    throw new Error(`expected ${count} images of ${PIXELS} bytes, got ${pixels.length} bytes`);
  }
  const data = new Float32Array(count * PIXELS);
  toUnitPixels(pixels.subarray(0, data.length), data);
  return tf.tensor4d(data, [count, IMAGE_SIZE, IMAGE_SIZE, 1]);
}

/** Labels 0..9 -> one-hot float32 [N,10]. */
export function labelsToOneHot(labels: Uint8Array | Int32Array, numClasses = 10): tf.Tensor2D {
  return tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(labels), "int32"), numClasses).toFloat() as tf.Tensor2D);
}

export interface PhotoPreprocessResult {
  /** 784 floats in [0,1], light object on black, as the model expects. */
  input: Float32Array;
  /** Whether the picture's background was light (so the item is drawn as its darkness). */
  inverted: boolean;
  /** Object bounding box in the source image (shadows and thin lines left out). */
  box: { x: number; y: number; width: number; height: number };
  /** Whether the input was mirrored to put a shoe's heel on the right, as in Fashion-MNIST. */
  mirrored: boolean;
  /** Fraction of the picture the item covers; 0 when no item stood out from the background. */
  coverage: number;
}

export interface PhotoPreprocessOptions extends SegmentOptions {
  /** "canonical": mirror wide items (shoes, bags) so the heavier top half is on the right, as
   * Fashion-MNIST shoes face (heel or shaft right in 99.9% of sneakers and boots). Default.
   * "mirrored": always mirror (the full view of a picture whose item view was mirrored). */
  orientation?: "none" | "canonical" | "mirrored";
  /** "darkness": the item drawn as 255 - luminance, as Fashion-MNIST draws items shot on white
   * (default); "contrast": its luminance difference from the background. */
  intensity?: "darkness" | "contrast";
  /** Least intensity of item pixels, so a white item on a dark floor keeps its shape (default 0.12). */
  floor?: number;
  /** Scale the input so its brightest pixel is 1, as in Fashion-MNIST (default true). */
  stretch?: boolean;
  /** "item" (default): the item found by segmentation, on black. "full": the whole picture drawn
   * the same way, background and all, which a failed segmentation cannot spoil. Measured by
   * bench:photos (--tta full); the page and the endpoint do not use it: averaged with the item it
   * scored lower than the item alone, even for a model trained with background augmentation. */
  view?: "item" | "full";
}

const lumaAt = (rgba: Uint8ClampedArray | Uint8Array, i: number) => {
  const a = rgba[i * 4 + 3] / 255;
  // Transparent pixels count as white paper, the usual background of product photos.
  return (0.299 * rgba[i * 4] + 0.587 * rgba[i * 4 + 1] + 0.114 * rgba[i * 4 + 2]) * a + 255 * (1 - a);
};

/** Area-averaged resize of a box of values (0-1) to 28x28: long side to 28, centred, aspect kept,
 * as Fashion-MNIST frames every item (also used by the pair augmentation). */
export function frameBox(values: Float32Array, boxW: number, boxH: number): Float32Array {
  const side = Math.max(boxW, boxH);
  const ox = -(side - boxW) / 2;
  const oy = -(side - boxH) / 2;
  const input = new Float32Array(PIXELS);
  const scale = side / IMAGE_SIZE;
  for (let ty = 0; ty < IMAGE_SIZE; ty++) {
    for (let tx = 0; tx < IMAGE_SIZE; tx++) {
      // Area average over the source cell [x0,x1) x [y0,y1); outside the box counts as 0.
      const x0 = ox + tx * scale;
      const y0 = oy + ty * scale;
      const x1 = x0 + scale;
      const y1 = y0 + scale;
      let sum = 0;
      let area = 0;
      for (let sy = Math.floor(y0); sy < Math.ceil(y1); sy++) {
        const wy = Math.min(y1, sy + 1) - Math.max(y0, sy);
        if (wy <= 0) continue;
        for (let sx = Math.floor(x0); sx < Math.ceil(x1); sx++) {
          const wx = Math.min(x1, sx + 1) - Math.max(x0, sx);
          if (wx <= 0) continue;
          const inside = sx >= 0 && sy >= 0 && sx < boxW && sy < boxH;
          sum += (inside ? values[sy * boxW + sx] : 0) * wx * wy;
          area += wx * wy;
        }
      }
      input[ty * IMAGE_SIZE + tx] = area > 0 ? Math.min(1, sum / area) : 0;
    }
  }
  return input;
}

/** The 28x28 input mirrored left-right. */
export function mirrorInput(input: Float32Array): Float32Array {
  const out = new Float32Array(PIXELS);
  for (let y = 0; y < IMAGE_SIZE; y++) for (let x = 0; x < IMAGE_SIZE; x++) out[y * IMAGE_SIZE + x] = input[y * IMAGE_SIZE + IMAGE_SIZE - 1 - x];
  return out;
}

/** Whether a wide item's top half is heavier on the left (a shoe whose heel points left). */
export function facesLeft(input: Float32Array, boxW: number, boxH: number): boolean {
  if (boxW < 1.15 * boxH) return false;
  let left = 0;
  let right = 0;
  for (let y = 0; y < IMAGE_SIZE / 2; y++)
    for (let x = 0; x < IMAGE_SIZE; x++) {
      const v = input[y * IMAGE_SIZE + x];
      if (x < IMAGE_SIZE / 2) left += v;
      else right += v;
    }
  return left > right;
}

/**
 * Makes an arbitrary RGBA picture look like a Fashion-MNIST sample: the item found against a
 * background modelled from the border (segmentForeground: shadows and thin lines left out), drawn
 * light on black, its box scaled so its long side fills the 28 pixels and centred (as Fashion-MNIST
 * frames every class), shoes turned heel-right. Pure array code so it runs in Node, the browser
 * and tests.
 */
export function preprocessPhoto(
  rgba: Uint8ClampedArray | Uint8Array,
  width: number,
  height: number,
  options: PhotoPreprocessOptions = {},
): PhotoPreprocessResult {
  if (width <= 0 || height <= 0 || rgba.length < width * height * 4) {
    throw new Error(`image data does not match ${width}x${height} RGBA`);
  }
  if (width === IMAGE_SIZE && height === IMAGE_SIZE) {
    let border = 0;
    for (let k = 0; k < IMAGE_SIZE; k++) border += lumaAt(rgba, k) + lumaAt(rgba, (IMAGE_SIZE - 1) * IMAGE_SIZE + k) + lumaAt(rgba, k * IMAGE_SIZE) + lumaAt(rgba, k * IMAGE_SIZE + IMAGE_SIZE - 1);
    if (border / (4 * IMAGE_SIZE) <= 127) {
      // Already a Fashion-MNIST-style picture (e.g. a test image saved as PNG): use it untouched,
      // exactly as the trainer saw its data.
      const input = new Float32Array(PIXELS);
      for (let i = 0; i < PIXELS; i++) input[i] = lumaAt(rgba, i) / 255;
      return { input, inverted: false, box: { x: 0, y: 0, width, height }, mirrored: false, coverage: 1 };
    }
  }
  const fg = segmentForeground(rgba, width, height, options);
  const inverted = fg.backgroundLuma > 127;
  const full = options.view === "full";
  if (full) {
    fg.mask.fill(1);
    fg.region.fill(1);
  }
  // The box in source pixels.
  const x0 = full ? 0 : Math.max(0, Math.floor(fg.box.x / fg.scale));
  const y0 = full ? 0 : Math.max(0, Math.floor(fg.box.y / fg.scale));
  const x1 = full ? width : Math.min(width, Math.ceil((fg.box.x + fg.box.width) / fg.scale));
  const y1 = full ? height : Math.min(height, Math.ceil((fg.box.y + fg.box.height) / fg.scale));
  const boxW = Math.max(1, x1 - x0);
  const boxH = Math.max(1, y1 - y0);
  const values = new Float32Array(boxW * boxH);
  const floor = (options.floor ?? 0.12) * 255;
  const darkness = (options.intensity ?? "darkness") === "darkness";
  for (let y = 0; y < boxH; y++) {
    const my = Math.min(fg.h - 1, Math.floor((y0 + y) * fg.scale));
    for (let x = 0; x < boxW; x++) {
      const mx = Math.min(fg.w - 1, Math.floor((x0 + x) * fg.scale));
      const m = my * fg.w + mx;
      if (!fg.region[m]) continue;
      const l = lumaAt(rgba, (y0 + y) * width + x0 + x);
      if (fg.mask[m]) {
        const v = darkness ? 255 - l : Math.abs(l - fg.backgroundLuma);
        values[y * boxW + x] = Math.max(floor, v) / 255;
      } else if (inverted) {
        // Between the item's parts on a light background: how much darker than the background it
        // is (the body of a white shirt, its folds), as the old threshold crop drew it.
        values[y * boxW + x] = Math.max(0, fg.backgroundLumaMap[m] - l) / 255;
      }
    }
  }
  let input = frameBox(values, boxW, boxH);
  if (options.stretch ?? true) {
    let max = 0;
    for (let i = 0; i < PIXELS; i++) max = Math.max(max, input[i]);
    if (max > 0.05) for (let i = 0; i < PIXELS; i++) input[i] = Math.min(1, input[i] / max);
  }
  const orientation = options.orientation ?? "canonical";
  const mirrored = orientation === "mirrored" || (orientation === "canonical" && facesLeft(input, boxW, boxH));
  if (mirrored) input = mirrorInput(input);
  return { input, inverted, box: { x: x0, y: y0, width: boxW, height: boxH }, mirrored, coverage: fg.coverage };
}
