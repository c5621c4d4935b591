// The shape of a Fashion-MNIST image, for every package and app (browser-safe: no Node imports).
export const IMAGE_SIZE = 28;
/** Bytes (uint8) or floats per image: 28 x 28 x 1. */
export const IMAGE_PIXELS = IMAGE_SIZE * IMAGE_SIZE;

/** Pixels 0..255 -> floats in [0,1] (x/255): the scaling every model here is trained, evaluated
 * and served with. Writes into `out` from `offset` (a batch buffer) and returns it. */
export function toUnitPixels(src: ArrayLike<number>, out: Float32Array = new Float32Array(src.length), offset = 0): Float32Array {
  for (let i = 0; i < src.length; i++) out[offset + i] = src[i] / 255;
  return out;
}
