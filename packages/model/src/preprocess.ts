import * as tf from "@tensorflow/tfjs";
import { IMAGE_SIZE } from "./classes";

const PIXELS = IMAGE_SIZE * IMAGE_SIZE;

/** uint8 IDX pixels (N*784) -> float32 tensor [N,28,28,1] in [0,1]. Trainer and browser share it. */
export function imagesToTensor(pixels: Uint8Array, count = pixels.length / PIXELS): tf.Tensor4D {
  if (!Number.isInteger(count) || pixels.length < count * PIXELS) {
    throw new Error(`expected ${count} images of ${PIXELS} bytes, got ${pixels.length} bytes`);
  }
  const data = new Float32Array(count * PIXELS);
  for (let i = 0; i < data.length; i++) data[i] = pixels[i] / 255;
  return tf.tensor4d(data, [count, IMAGE_SIZE, IMAGE_SIZE, 1]);
}

/** Labels 0..9 -> one-hot float32 [N,10]. */
export function labelsToOneHot(labels: Uint8Array | Int32Array, numClasses = 10): tf.Tensor2D {
  return tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(labels), "int32"), numClasses).toFloat() as tf.Tensor2D);
}

export interface PhotoPreprocessResult {
  /** 784 floats in [0,1], light object on black, as the model expects. */
  input: Float32Array;
  /** Whether the picture was inverted (its background was light). */
  inverted: boolean;
  /** Object bounding box in the source image. */
  box: { x: number; y: number; width: number; height: number };
}

/**
 * Makes an arbitrary RGBA picture look like a Fashion-MNIST sample: grayscale, invert when the
 * background is light, crop to the object, pad to a square (keeping the aspect ratio), resize to
 * 28x28 by area averaging, scale to [0,1]. Pure array code so it runs in Node, the browser and tests.
 */
export function preprocessPhoto(
  rgba: Uint8ClampedArray | Uint8Array,
  width: number,
  height: number,
): PhotoPreprocessResult {
  if (width <= 0 || height <= 0 || rgba.length < width * height * 4) {
    throw new Error(`image data does not match ${width}x${height} RGBA`);
  }
  const gray = new Float32Array(width * height);
  for (let i = 0; i < gray.length; i++) {
    const a = rgba[i * 4 + 3] / 255;
    const lum = 0.299 * rgba[i * 4] + 0.587 * rgba[i * 4 + 1] + 0.114 * rgba[i * 4 + 2];
    // Transparent pixels count as white paper, the usual background of product photos.
    gray[i] = lum * a + 255 * (1 - a);
  }
  // The border tells the background: Fashion-MNIST is a light object on black.
  let borderSum = 0;
  let borderCount = 0;
  for (let x = 0; x < width; x++) {
    borderSum += gray[x] + gray[(height - 1) * width + x];
    borderCount += 2;
  }
  for (let y = 0; y < height; y++) {
    borderSum += gray[y * width] + gray[y * width + width - 1];
    borderCount += 2;
  }
  const background = borderSum / borderCount;
  const inverted = background > 127;
  for (let i = 0; i < gray.length; i++) {
    const v = inverted ? 255 - gray[i] : gray[i];
    gray[i] = v;
  }
  const bg = inverted ? 255 - background : background;
  if (width === IMAGE_SIZE && height === IMAGE_SIZE && !inverted) {
    // Already a Fashion-MNIST-style picture (e.g. a test image saved as PNG): use it untouched,
    // exactly as the trainer saw its data.
    const input = new Float32Array(PIXELS);
    for (let i = 0; i < PIXELS; i++) input[i] = gray[i] / 255;
    return { input, inverted, box: { x: 0, y: 0, width, height } };
  }
  // Object = pixels clearly brighter than the background.
  const threshold = bg + Math.max(24, (255 - bg) * 0.12);
  let minX = width;
  let minY = height;
  let maxX = -1;
  let maxY = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (gray[y * width + x] > threshold) {
        if (x < minX) minX = x;
        if (x > maxX) maxX = x;
        if (y < minY) minY = y;
        if (y > maxY) maxY = y;
      }
    }
  }
  if (maxX < 0) {
    minX = 0;
    minY = 0;
    maxX = width - 1;
    maxY = height - 1;
  }
  const boxW = maxX - minX + 1;
  const boxH = maxY - minY + 1;
  const side = Math.max(boxW, boxH);
  // Square canvas centred on the object; outside the image counts as background (0 after inversion).
  const ox = minX - (side - boxW) / 2;
  const oy = minY - (side - boxH) / 2;
  const input = new Float32Array(PIXELS);
  const scale = side / IMAGE_SIZE;
  for (let ty = 0; ty < IMAGE_SIZE; ty++) {
    for (let tx = 0; tx < IMAGE_SIZE; tx++) {
      // Area average over the source cell [x0,x1) x [y0,y1).
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
          const inside = sx >= 0 && sy >= 0 && sx < width && sy < height;
          sum += (inside ? Math.max(0, gray[sy * width + sx] - bg) : 0) * wx * wy;
          area += wx * wy;
        }
      }
      input[ty * IMAGE_SIZE + tx] = area > 0 ? Math.min(1, sum / area / Math.max(1, 255 - bg)) : 0;
    }
  }
  return { input, inverted, box: { x: minX, y: minY, width: boxW, height: boxH } };
}
