// The whole test set of a run's dataset as one binary blob, so the browser can classify all of it
// with a single request. Little-endian header, then the labels, then the pixels row-major (IDX
// order), exactly the bytes the trainer evaluated on:
//
//   0  "FMTS"   4  version (1)   8  count   12  rows (28)   16  cols (28)
//   20 labels: count bytes       20 + count  pixels: count * rows * cols bytes

export const TEST_SET_MAGIC = "FMTS";
export const TEST_SET_VERSION = 1;
export const TEST_SET_HEADER_BYTES = 20;

export interface TestSetBlob {
  count: number;
  rows: number;
  cols: number;
  labels: Uint8Array;
  pixels: Uint8Array;
}

export function encodeTestSet(labels: Uint8Array, pixels: Uint8Array, rows = 28, cols = 28): Uint8Array<ArrayBuffer> {
  const count = labels.length;
  if (pixels.length !== count * rows * cols) throw new Error(`expected ${count * rows * cols} pixel bytes for ${count} images, got ${pixels.length}`);
  const out = new Uint8Array(TEST_SET_HEADER_BYTES + count + pixels.length);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = TEST_SET_MAGIC.charCodeAt(i);
  view.setUint32(4, TEST_SET_VERSION, true);
  view.setUint32(8, count, true);
  view.setUint32(12, rows, true);
  view.setUint32(16, cols, true);
  out.set(labels, TEST_SET_HEADER_BYTES);
  out.set(pixels, TEST_SET_HEADER_BYTES + count);
  return out;
}

export function decodeTestSet(buffer: ArrayBuffer): TestSetBlob {
  const bytes = new Uint8Array(buffer);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (bytes.length < TEST_SET_HEADER_BYTES || magic !== TEST_SET_MAGIC) throw new Error("the test set download is not in the expected format");
  const view = new DataView(buffer);
  const version = view.getUint32(4, true);
  if (version !== TEST_SET_VERSION) throw new Error(`test set format version ${version} is not supported`);
  const count = view.getUint32(8, true);
  const rows = view.getUint32(12, true);
  const cols = view.getUint32(16, true);
  const expected = TEST_SET_HEADER_BYTES + count + count * rows * cols;
  if (bytes.length !== expected) throw new Error(`the test set download is ${bytes.length} bytes, expected ${expected} (truncated?)`);
  return {
    count,
    rows,
    cols,
    labels: bytes.subarray(TEST_SET_HEADER_BYTES, TEST_SET_HEADER_BYTES + count),
    pixels: bytes.subarray(TEST_SET_HEADER_BYTES + count),
  };
}
