import { PNG } from "pngjs";

/** An 8-bit greyscale PNG of `width` x `height` pixels (row-major, one byte each), written by pngjs.
 * No row filter: for 28x28 images the filter search costs more than the bytes it saves. */
export function encodeGreyPng(pixels: Uint8Array, width: number, height: number): Buffer {
  if (pixels.length !== width * height) throw new Error(`expected ${width * height} pixels, got ${pixels.length}`);
  const options = { width, height, colorType: 0, inputColorType: 0, inputHasAlpha: false, bitDepth: 8, filterType: 0 } as const;
  const png = new PNG(options);
  png.data = Buffer.from(pixels.buffer, pixels.byteOffset, pixels.length);
  return PNG.sync.write(png, options);
}
